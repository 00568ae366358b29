import { Box, Card, CardContent, Typography, useMediaQuery, type Theme } from "@mui/material";
import {
  BooleanField,
  BooleanInput,
  Create,
  Datagrid,
  DateField,
  DeleteButton,
  Edit,
  EditButton,
  EmailField,
  Form,
  Labeled,
  List,
  NullableBooleanInput,
  PasswordInput,
  SaveButton,
  SearchInput,
  SimpleForm,
  SimpleList,
  TextField,
  TextInput,
  Toolbar,
  ToolbarClasses,
  required,
  useDataProvider,
  useNotify,
  useRecordContext,
  type RaRecord,
} from "react-admin";
import type { AdminDataProvider } from "./dataProvider";
import { UserKeys } from "./tokens";
import { UserActivity } from "./activity";

// Users: list with search, filters and sort; create (the password rules'
// messages land on the password field), edit, deactivate (Active off), set a
// password, delete with confirmation, and the user's keys.

const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Username or email" />,
  <NullableBooleanInput key="isStaff" source="isStaff" label="Staff" />,
  <NullableBooleanInput key="isActive" source="isActive" label="Active" />,
];

export const UserList = () => {
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  return (
    <List filters={filters} sort={{ field: "id", order: "ASC" }} exporter={false}>
      {small ? (
        <SimpleList
          primaryText={(r: RaRecord) => r.username}
          secondaryText={(r: RaRecord) =>
            `${r.email || "no email"}${r.isStaff ? " · staff" : ""}${r.isActive ? "" : " · inactive"}`
          }
          linkType="edit"
        />
      ) : (
        <Datagrid rowClick="edit" bulkActionButtons={false}>
          <TextField source="id" label="ID" />
          <TextField source="username" />
          <EmailField source="email" sortable={false} />
          <BooleanField source="isStaff" label="Staff" sortable={false} />
          <BooleanField source="isActive" label="Active" sortable={false} />
          <DateField source="dateJoined" label="Joined" showTime />
          <DateField source="lastLogin" label="Last login" showTime sortable={false} emptyText="never" />
          {/* Rows open on click; the button is the way in from the keyboard. */}
          <EditButton />
        </Datagrid>
      )}
    </List>
  );
};

export const UserCreate = () => (
  <Create redirect="edit" title="New user">
    <SimpleForm defaultValues={{ isStaff: false }}>
      <TextInput source="username" validate={required()} autoComplete="off" />
      <TextInput source="email" type="email" autoComplete="off" />
      <PasswordInput source="password" validate={required()} autoComplete="new-password" />
      <BooleanInput source="isStaff" label="Staff (may use this admin)" />
    </SimpleForm>
  </Create>
);

const UserTitle = () => {
  const record = useRecordContext();
  return <span>User {record ? String(record.username) : ""}</span>;
};

// On a phone react-admin fixes the form's toolbar to the bottom of the
// screen, where it would cover the end of the password and key sections
// below the form: here it stays in place, under the fields it saves.
const UserToolbar = () => (
  <Toolbar
    sx={{
      display: "flex",
      justifyContent: "space-between",
      [`&.${ToolbarClasses.mobileToolbar}`]: { position: "static", px: 0 },
    }}
  >
    <SaveButton />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Delete this user?"
      confirmContent="The user and all of their keys are deleted. This cannot be undone."
    />
  </Toolbar>
);

/** Sets a new password: the API checks the rules and revokes every key of the user. */
const SetPassword = () => {
  const record = useRecordContext();
  const dataProvider = useDataProvider<AdminDataProvider>();
  const notify = useNotify();
  if (!record) return null;
  const submit = async (values: Record<string, unknown>) => {
    try {
      await dataProvider.setPassword(record.id, String(values.password ?? ""));
      notify("Password set; the user's keys were revoked.", { type: "info" });
      return undefined;
    } catch (e) {
      const errors = (e as { body?: { errors?: Record<string, string> } }).body?.errors;
      if (errors) return errors;
      notify(e instanceof Error ? e.message : String(e), { type: "error" });
      return undefined;
    }
  };
  return (
    <Card component="section" aria-labelledby="password-title" sx={{ mt: 2 }}>
      <CardContent>
        <Typography variant="h6" component="h2" id="password-title">
          Set password
        </Typography>
        <Typography variant="body2" color="text.secondary">
          Signs the user out everywhere: every key of theirs is revoked.
        </Typography>
        <Form onSubmit={submit} record={{}} id="set-password">
          <Box sx={{ display: "flex", flexWrap: "wrap", gap: 2, alignItems: "flex-start" }}>
            <PasswordInput source="password" label="New password" validate={required()} autoComplete="new-password" />
            <SaveButton label="Set password" alwaysEnable sx={{ mt: 1 }} />
          </Box>
        </Form>
      </CardContent>
    </Card>
  );
};

export const UserEdit = () => (
  <Edit title={<UserTitle />} mutationMode="pessimistic" redirect={false} aside={undefined}>
    <SimpleForm toolbar={<UserToolbar />}>
      <TextInput source="id" label="ID" disabled />
      <TextInput source="username" validate={required()} autoComplete="off" />
      <TextInput source="email" type="email" autoComplete="off" />
      <BooleanInput source="isStaff" label="Staff (may use this admin)" />
      <BooleanInput source="isActive" label="Active (off: deactivated, every key refused)" />
      <Box sx={{ display: "flex", flexWrap: "wrap", columnGap: 4 }}>
        <Labeled label="Joined">
          <DateField source="dateJoined" showTime />
        </Labeled>
        <Labeled label="Last login">
          <DateField source="lastLogin" showTime emptyText="never" />
        </Labeled>
      </Box>
    </SimpleForm>
    <Box sx={{ px: 2, pb: 2 }}>
      <SetPassword />
      <UserKeys />
      <UserActivity />
    </Box>
  </Edit>
);
