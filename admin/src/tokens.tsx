import { useState } from "react";
import {
  Alert,
  Box,
  Button as MuiButton,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField as MuiTextField,
  Typography,
} from "@mui/material";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import {
  Confirm,
  Datagrid,
  DateField,
  DeleteButton,
  List,
  Pagination,
  ReferenceManyField,
  SearchInput,
  SimpleList,
  TextField,
  FunctionField,
  useDataProvider,
  useNotify,
  useRecordContext,
  useRefresh,
  type RaRecord,
} from "react-admin";
import { useMediaQuery, type Theme } from "@mui/material";
import type { AdminDataProvider } from "./dataProvider";

// Keys: every key with its owner (allTokens), each user's keys on the
// user's page (tokens(userId)), issuing one (shown once, with the header and
// an httpie line to try it), and revoking one or all.

const never = "never";

const RevokeButton = () => (
  <DeleteButton
    label="Revoke"
    mutationMode="pessimistic"
    confirmTitle="Revoke this key?"
    confirmContent="Requests with this key will be refused at once."
    redirect={false}
  />
);

const KeyColumns = ({ withOwner }: { withOwner: boolean }) => {
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  if (small) {
    return (
      <SimpleList
        primaryText={(r: RaRecord) => `${r.prefix}… ${r.name}`}
        secondaryText={(r: RaRecord) =>
          `${withOwner ? `${r.username} · ` : ""}last used ${r.lastUsedAt ? new Date(r.lastUsedAt).toLocaleString() : never}`
        }
        rowClick={false}
      />
    );
  }
  return (
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <FunctionField label="Prefix" render={(r: RaRecord) => <code>{r.prefix}…</code>} />
      <TextField source="name" sortable={false} />
      {withOwner && <TextField source="username" label="User" sortable={false} />}
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

/** The key, the header and an httpie line: shown once, right after issuing. */
export const IssuedKey = ({ token, username }: { token: string; username: string }) => {
  const notify = useNotify();
  const header = `Authorization: Token ${token}`;
  const httpie = `http POST ${window.location.origin}/graphql query='{ me { username } }' '${header}'`;
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
      {line("Key", token, "issued-key")}
      {line("Header", header, "issued-header")}
      {line("Try it with httpie", httpie, "issued-httpie")}
    </Box>
  );
};

const IssueKeyDialog = ({ open, onClose, userId }: { open: boolean; onClose: () => void; userId: RaRecord["id"] }) => {
  const dataProvider = useDataProvider<AdminDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [name, setName] = useState("admin");
  const [error, setError] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ token: string; username: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setIssued(null);
    setError(null);
    setName("admin");
    onClose();
  };
  const issue = async () => {
    setBusy(true);
    setError(null);
    try {
      setIssued(await dataProvider.issueKey(userId, name));
      refresh();
    } catch (e) {
      const fields = (e as { body?: { errors?: Record<string, string> } }).body?.errors;
      setError(fields?.name ?? (e instanceof Error ? e.message : String(e)));
      if (!fields) notify(e instanceof Error ? e.message : String(e), { type: "error" });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="md" aria-labelledby="issue-key-title">
      <DialogTitle id="issue-key-title">{issued ? "New key" : "Issue a key"}</DialogTitle>
      <DialogContent>
        {issued ? (
          <IssuedKey token={issued.token} username={issued.username} />
        ) : (
          <MuiTextField
            label="Name"
            helperText={error ?? "A label to recognise the key by, at most 100 characters."}
            error={!!error}
            value={name}
            onChange={(e) => setName(e.target.value)}
            fullWidth
            margin="dense"
            autoFocus
            onKeyDown={(e) => {
              if (e.key === "Enter") void issue();
            }}
          />
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
      <IssueKeyDialog open={issuing} onClose={() => setIssuing(false)} userId={record.id} />
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
