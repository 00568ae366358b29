import { Box, Button as MuiButton, Chip, Typography, useMediaQuery, type Theme } from "@mui/material";
import {
  AutocompleteInput,
  Datagrid,
  DateField,
  DateTimeInput,
  FunctionField,
  List,
  Pagination,
  ReferenceInput,
  ReferenceManyField,
  SelectInput,
  SimpleList,
  useRecordContext,
  type RaRecord,
} from "react-admin";
import type { AuthEventKind } from "./generated/graphql";

// Activity: the audit trail of authentication events (authEvents), newest
// first, filtered by kind, user and time; and each user's recent events on
// their page, with a link to all of them here.

const KINDS: { id: AuthEventKind; name: string }[] = [
  { id: "LOGIN_ACCEPTED", name: "Login accepted" },
  { id: "LOGIN_REFUSED", name: "Login refused" },
  { id: "LOGIN_THROTTLED", name: "Login throttled" },
  { id: "KEY_ISSUED", name: "Key issued" },
  { id: "KEY_REVOKED", name: "Key revoked" },
  { id: "PASSWORD_CHANGED", name: "Password changed" },
  { id: "USER_CREATED", name: "User created" },
  { id: "USER_UPDATED", name: "User updated" },
  { id: "USER_DEACTIVATED", name: "User deactivated" },
  { id: "USER_DELETED", name: "User deleted" },
  { id: "DJANGO_IMPORTED", name: "Django import" },
];
const kindName = (kind: string) => KINDS.find((k) => k.id === kind)?.name ?? kind;
const REFUSALS = new Set(["LOGIN_REFUSED", "LOGIN_THROTTLED", "USER_DEACTIVATED", "USER_DELETED", "KEY_REVOKED"]);

/** A user as an event names them: their name then, and their id; a command or nobody otherwise. */
const party = (id: string | null | undefined, name: string | null | undefined, nobody: string) =>
  id ? `${name ?? "?"} (#${id})` : (name ?? nobody);

/** The kind's own facts, as short "key: value" text (a key's prefix, counts, fields). */
function facts(details: Record<string, unknown> | null | undefined): string {
  if (!details) return "";
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}

const Kind = ({ kind }: { kind: string }) => (
  <Chip
    label={kindName(kind)}
    size="small"
    color={REFUSALS.has(kind) ? "warning" : "default"}
    variant="outlined"
    data-testid="event-kind"
  />
);

const EventColumns = ({ withUser }: { withUser: boolean }) => {
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  if (small) {
    return (
      <SimpleList
        linkType={false}
        primaryText={(r: RaRecord) => `${kindName(String(r.kind))}: ${party(r.subjectId, r.subjectName, "-")}`}
        secondaryText={(r: RaRecord) =>
          `by ${party(r.actorId, r.actorName, "anonymous")}${r.clientAddress ? ` from ${r.clientAddress}` : ""}`
        }
        tertiaryText={(r: RaRecord) => new Date(String(r.createdAt)).toLocaleString()}
      />
    );
  }
  return (
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <DateField source="createdAt" label="When" showTime sortable={false} />
      <FunctionField label="What" render={(r: RaRecord) => <Kind kind={String(r.kind)} />} />
      <FunctionField label="By" render={(r: RaRecord) => party(r.actorId, r.actorName, "anonymous")} />
      {withUser && <FunctionField label="User" render={(r: RaRecord) => party(r.subjectId, r.subjectName, "-")} />}
      <FunctionField label="From" render={(r: RaRecord) => r.clientAddress ?? ""} />
      <FunctionField
        label="Details"
        render={(r: RaRecord) => (
          <Typography variant="body2" component="span" title={r.userAgent ?? undefined}>
            {facts(r.details as Record<string, unknown> | null)}
          </Typography>
        )}
      />
      <FunctionField
        label="Request"
        render={(r: RaRecord) => (r.requestId ? <code>{String(r.requestId).slice(0, 8)}</code> : "")}
      />
    </Datagrid>
  );
};

const filters = [
  <SelectInput key="kind" source="kind" label="Kind" choices={KINDS} alwaysOn emptyText="Every kind" />,
  <ReferenceInput key="userId" source="userId" reference="users" alwaysOn>
    <AutocompleteInput label="User" optionText="username" filterToQuery={(q: string) => ({ q })} />
  </ReferenceInput>,
  <DateTimeInput key="since" source="since" label="Since" alwaysOn />,
  <DateTimeInput key="until" source="until" label="Until" alwaysOn />,
];

export const ActivityList = () => (
  <List filters={filters} exporter={false} sort={{ field: "createdAt", order: "DESC" }} title="Activity">
    <EventColumns withUser />
  </List>
);

/** A user's latest events, on the user's page. */
export const UserActivity = () => {
  const record = useRecordContext();
  if (!record) return null;
  const all = `/authEvents?filter=${encodeURIComponent(JSON.stringify({ userId: String(record.id) }))}`;
  return (
    <Box component="section" aria-labelledby="activity-title" sx={{ mt: 3 }}>
      <Box sx={{ display: "flex", gap: 1, alignItems: "center", mb: 1 }}>
        <Typography variant="h6" component="h2" id="activity-title" sx={{ flex: 1 }}>
          Recent activity
        </Typography>
        {/* The admin's router keeps its routes after the hash. */}
        <MuiButton href={`#${all}`}>All activity</MuiButton>
      </Box>
      <ReferenceManyField
        reference="authEvents"
        target="userId"
        perPage={10}
        pagination={<Pagination rowsPerPageOptions={[10]} />}
        empty={
          <Typography color="text.secondary" sx={{ p: 2 }}>
            No events.
          </Typography>
        }
      >
        <EventColumns withUser />
      </ReferenceManyField>
    </Box>
  );
};
