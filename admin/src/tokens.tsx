import { useState } from "react";
import {
  Alert,
  Box,
  Button as MuiButton,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormGroup,
  FormHelperText,
  FormLabel,
  List as MuiList,
  ListItem,
  ListItemText,
  Radio,
  RadioGroup,
  Stack,
  TextField as MuiTextField,
  Typography,
  useMediaQuery,
  type Theme,
} from "@mui/material";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import {
  Confirm,
  Datagrid,
  DateField,
  DeleteButton,
  List,
  Pagination,
  RecordContextProvider,
  ReferenceManyField,
  SearchInput,
  TextField,
  FunctionField,
  useDataProvider,
  useListContext,
  useNotify,
  useRecordContext,
  useRefresh,
  type RaRecord,
} from "react-admin";
import type { AdminDataProvider, IssuedKey as Issued } from "./dataProvider";
import type { Scope } from "./generated/graphql";

// Keys: every key with its owner (allTokens), each user's keys on the
// user's page (tokens(userId)), issuing one with its scopes and lifetime
// (shown once, with the header and an httpie line to try it), and revoking
// one or all. On a phone the keys are a list whose every row has its Revoke
// button.

const never = "never";

/** The API's scopes, each with what it lets a key do. */
const SCOPE_CHOICES: { scope: Scope; label: string; help: string }[] = [
  { scope: "ACCOUNT", label: "Account", help: "who the user is, their keys, their password" },
  { scope: "STUDENTS_READ", label: "Read students", help: "list and show students" },
  { scope: "STUDENTS_WRITE", label: "Change students", help: "create, edit and delete students; also read them" },
  { scope: "ADMIN", label: "Admin", help: "staff work: users and everyone's keys; staff users only" },
];

const LIFETIMES: { value: string; label: string }[] = [
  { value: "", label: "The server's default (TOKEN_TTL, or never)" },
  { value: "1h", label: "1 hour" },
  { value: "1d", label: "1 day" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "365d", label: "1 year" },
];

const when = (date: string | null | undefined) => (date ? new Date(date).toLocaleString() : never);

/** A key's scopes; none (null) means everything its user may. */
const Scopes = ({ scopes }: { scopes: Scope[] | null | undefined }) =>
  scopes ? (
    <Box component="span" sx={{ display: "inline-flex", flexWrap: "wrap", gap: 0.5 }}>
      {scopes.map((s) => (
        <Chip key={s} label={s} size="small" variant="outlined" />
      ))}
    </Box>
  ) : (
    <span>all its user may</span>
  );

const RevokeButton = () => (
  <DeleteButton
    label="Revoke"
    mutationMode="pessimistic"
    confirmTitle="Revoke this key?"
    confirmContent="Requests with this key will be refused at once."
    redirect={false}
  />
);

/** Phone size: one row per key, its details stacked, its Revoke button under them. */
const KeyRows = ({ withOwner }: { withOwner: boolean }) => {
  const { data, isPending } = useListContext();
  if (isPending || !data) return null;
  if (data.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ p: 2 }}>
        No keys.
      </Typography>
    );
  }
  return (
    <MuiList disablePadding aria-label="Keys">
      {data.map((r: RaRecord) => (
        <RecordContextProvider key={r.id} value={r}>
          <ListItem divider sx={{ display: "block" }} data-testid="key-row">
            <ListItemText
              primary={
                <>
                  <code>{r.prefix}…</code> {r.name}
                  {r.current ? " · this session" : ""}
                </>
              }
              secondary={
                <Stack component="span" spacing={0.5} sx={{ mt: 0.5 }}>
                  {withOwner && <span>user {r.username}</span>}
                  <span>
                    may do: <Scopes scopes={r.scopes} />
                  </span>
                  <span>expires {when(r.expiresAt)}</span>
                  <span>last used {when(r.lastUsedAt)}</span>
                </Stack>
              }
              slotProps={{ secondary: { component: "div" } }}
            />
            <Box sx={{ display: "flex", justifyContent: "flex-end" }}>
              <RevokeButton />
            </Box>
          </ListItem>
        </RecordContextProvider>
      ))}
    </MuiList>
  );
};

const KeyColumns = ({ withOwner }: { withOwner: boolean }) => {
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  if (small) return <KeyRows withOwner={withOwner} />;
  return (
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <FunctionField label="Prefix" render={(r: RaRecord) => <code>{r.prefix}…</code>} />
      <TextField source="name" sortable={false} />
      {withOwner && <TextField source="username" label="User" sortable={false} />}
      <FunctionField label="May do" render={(r: RaRecord) => <Scopes scopes={r.scopes} />} />
      <DateField source="createdAt" label="Created" showTime sortable={false} />
      <DateField source="lastUsedAt" label="Last used" showTime emptyText={never} sortable={false} />
      <DateField source="expiresAt" label="Expires" showTime emptyText={never} sortable={false} />
      <FunctionField label="" render={(r: RaRecord) => (r.current ? "this session" : "")} />
      <RevokeButton />
    </Datagrid>
  );
};

export const TokenList = () => (
  <List
    filters={[<SearchInput key="q" source="q" alwaysOn placeholder="User, email, name or prefix" />]}
    sort={{ field: "id", order: "DESC" }}
    exporter={false}
    title="Keys"
  >
    <KeyColumns withOwner />
  </List>
);

/** A query the key may run, to try it: `me` needs ACCOUNT, a scoped key may lack it. */
function tryQuery(scopes: Scope[] | null): string {
  if (!scopes || scopes.includes("ACCOUNT")) return "{ me { username } }";
  if (scopes.includes("STUDENTS_READ") || scopes.includes("STUDENTS_WRITE")) return "{ students { count } }";
  return "{ users { count } }";
}

/** The key, what it may do, the header and an httpie line: shown once, right after issuing. */
export const IssuedKey = ({ issued }: { issued: Issued }) => {
  const { token, username } = issued;
  const notify = useNotify();
  const header = `Authorization: Token ${token}`;
  const httpie = `http POST ${window.location.origin}/graphql query='${tryQuery(issued.scopes)}' '${header}'`;
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      notify(`${what} copied.`, { type: "info" });
    } catch {
      notify("The browser refused the clipboard: select the text and copy it.", { type: "warning" });
    }
  };
  const line = (label: string, text: string, testId: string) => (
    <Box sx={{ mt: 1.5 }}>
      <Typography variant="subtitle2" component="h3">
        {label}
      </Typography>
      <Box sx={{ display: "flex", gap: 1, alignItems: "flex-start" }}>
        <Box
          component="pre"
          data-testid={testId}
          sx={{
            m: 0,
            p: 1,
            flex: 1,
            bgcolor: "grey.100",
            borderRadius: 1,
            whiteSpace: "pre-wrap",
            wordBreak: "break-all",
            fontSize: 13,
          }}
        >
          {text}
        </Box>
        <MuiButton
          size="small"
          startIcon={<ContentCopyIcon />}
          onClick={() => copy(text, label)}
          aria-label={`Copy ${label.toLowerCase()}`}
        >
          Copy
        </MuiButton>
      </Box>
    </Box>
  );
  return (
    <Box>
      <Alert severity="warning">
        This is the only time the key for {username} is shown: the server keeps only its digest.
      </Alert>
      <Typography sx={{ mt: 1.5 }} data-testid="issued-terms">
        May do: <Scopes scopes={issued.scopes} />. Expires: {when(issued.expiresAt)}.
      </Typography>
      {line("Key", token, "issued-key")}
      {line("Header", header, "issued-header")}
      {line("Try it with httpie", httpie, "issued-httpie")}
    </Box>
  );
};

type KeyField = "name" | "scopes" | "expiresIn";

const IssueKeyDialog = ({ open, onClose, user }: { open: boolean; onClose: () => void; user: RaRecord }) => {
  const dataProvider = useDataProvider<AdminDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  const [name, setName] = useState("");
  const [limited, setLimited] = useState(false);
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [lifetime, setLifetime] = useState("");
  const [errors, setErrors] = useState<Partial<Record<KeyField, string>>>({});
  const [issued, setIssued] = useState<Issued | null>(null);
  const [busy, setBusy] = useState(false);
  const username = String(user.username);

  const close = () => {
    setIssued(null);
    setErrors({});
    setName("");
    setLimited(false);
    setScopes([]);
    setLifetime("");
    onClose();
  };
  /** A changed control's message from the server no longer applies. */
  const edited = (field: KeyField) => setErrors(({ [field]: _, ...rest }) => rest);
  const toggle = (scope: Scope, on: boolean) => {
    edited("scopes");
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  };
  const issue = async () => {
    setBusy(true);
    setErrors({});
    try {
      setIssued(
        await dataProvider.issueKey(user.id, {
          name,
          scopes: limited ? scopes : null,
          expiresIn: lifetime || null,
        }),
      );
      // The dialog's title says it: a notice would cover its buttons on a phone.
      refresh();
    } catch (e) {
      const fields = (e as { body?: { errors?: Partial<Record<KeyField, string>> } }).body?.errors;
      if (fields) setErrors(fields);
      else notify(e instanceof Error ? e.message : String(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={close} fullWidth fullScreen={small} maxWidth="md" aria-labelledby="issue-key-title">
      <DialogTitle id="issue-key-title">
        {issued ? `Key issued for ${username}` : `Issue a key for ${username}`}
      </DialogTitle>
      <DialogContent>
        {issued ? (
          <IssuedKey issued={issued} />
        ) : (
          <Stack spacing={2} sx={{ pt: 1 }}>
            <MuiTextField
              label="Name"
              placeholder="e.g. ci, dashboard, laptop"
              helperText={errors.name ?? 'What the key is for, at most 100 characters; empty: "admin".'}
              error={!!errors.name}
              value={name}
              onChange={(e) => {
                edited("name");
                setName(e.target.value);
              }}
              fullWidth
              autoFocus
              onKeyDown={(e) => {
                if (e.key === "Enter") void issue();
              }}
            />
            <FormControl component="fieldset" error={!!errors.scopes}>
              <FormLabel component="legend">What the key may do</FormLabel>
              <RadioGroup
                value={limited ? "some" : "all"}
                onChange={(e) => {
                  edited("scopes");
                  setLimited(e.target.value === "some");
                }}
                name="access"
              >
                <FormControlLabel value="all" control={<Radio />} label={`Everything ${username} may do`} />
                <FormControlLabel value="some" control={<Radio />} label="Only what is checked below" />
              </RadioGroup>
              <FormGroup sx={{ pl: 4 }}>
                {SCOPE_CHOICES.map(({ scope, label, help }) => (
                  <FormControlLabel
                    key={scope}
                    control={
                      <Checkbox
                        checked={limited && scopes.includes(scope)}
                        disabled={!limited || (scope === "ADMIN" && !user.isStaff)}
                        onChange={(e) => toggle(scope, e.target.checked)}
                      />
                    }
                    label={
                      <span>
                        {label}{" "}
                        <Typography component="span" variant="body2" color="text.secondary">
                          ({scope}: {help})
                        </Typography>
                      </span>
                    }
                  />
                ))}
              </FormGroup>
              <FormHelperText>
                {errors.scopes ?? (user.isStaff ? "" : `Admin is for staff users: ${username} is not staff.`)}
              </FormHelperText>
            </FormControl>
            <MuiTextField
              select
              label="Lifetime"
              value={lifetime}
              onChange={(e) => {
                edited("expiresIn");
                setLifetime(e.target.value);
              }}
              helperText={errors.expiresIn ?? "Never longer than the server's TOKEN_TTL, when it has one."}
              error={!!errors.expiresIn}
              slotProps={{ select: { native: true } }}
              fullWidth
            >
              {LIFETIMES.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </MuiTextField>
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        {issued ? (
          <MuiButton onClick={close} variant="contained">
            Done
          </MuiButton>
        ) : (
          <>
            <MuiButton onClick={close}>Cancel</MuiButton>
            <MuiButton onClick={issue} variant="contained" disabled={busy}>
              Issue
            </MuiButton>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
};

/** A user's keys, on the user's page. */
export const UserKeys = () => {
  const record = useRecordContext();
  const dataProvider = useDataProvider<AdminDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [issuing, setIssuing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (!record) return null;

  const revokeAll = async () => {
    setConfirming(false);
    try {
      const count = await dataProvider.revokeAllKeys(record.id);
      notify(`${count} key${count === 1 ? "" : "s"} revoked.`, { type: "info" });
      refresh();
    } catch (e) {
      notify(e instanceof Error ? e.message : String(e), { type: "error" });
    }
  };

  return (
    <Box component="section" aria-labelledby="keys-title" sx={{ mt: 3 }}>
      <Box sx={{ display: "flex", flexWrap: "wrap", gap: 1, alignItems: "center", mb: 1 }}>
        <Typography variant="h6" component="h2" id="keys-title" sx={{ flex: 1 }}>
          Keys
        </Typography>
        <MuiButton variant="contained" onClick={() => setIssuing(true)}>
          Issue a key
        </MuiButton>
        <MuiButton color="error" onClick={() => setConfirming(true)}>
          Revoke all keys
        </MuiButton>
      </Box>
      <ReferenceManyField
        reference="tokens"
        target="userId"
        perPage={10}
        pagination={<Pagination rowsPerPageOptions={[10]} />}
      >
        <KeyColumns withOwner={false} />
      </ReferenceManyField>
      <IssueKeyDialog open={issuing} onClose={() => setIssuing(false)} user={record} />
      <Confirm
        isOpen={confirming}
        title={`Revoke every key of ${String(record.username)}?`}
        content="Every client using one of these keys will be refused at once."
        confirm="Revoke all"
        onConfirm={revokeAll}
        onClose={() => setConfirming(false)}
      />
    </Box>
  );
};
