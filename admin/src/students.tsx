import { useMediaQuery, type Theme } from "@mui/material";
import {
  Create,
  Datagrid,
  DateField,
  DeleteButton,
  Edit,
  EditButton,
  List,
  NumberField,
  NumberInput,
  SaveButton,
  SearchInput,
  SimpleForm,
  SimpleList,
  TextField,
  TextInput,
  Toolbar,
  required,
  useRecordContext,
  type RaRecord,
} from "react-admin";

// Students: search, paging, sort by every StudentOrder (id, name, roll, each
// way); create, edit, delete. A duplicate roll comes back as
// extensions.fields.roll and shows on the roll field.

export const StudentList = () => {
  const small = useMediaQuery<Theme>((theme) => theme.breakpoints.down("sm"));
  return (
    <List
      filters={[<SearchInput key="q" source="q" alwaysOn placeholder="Name or city" />]}
      sort={{ field: "id", order: "ASC" }}
      exporter={false}
    >
      {small ? (
        <SimpleList
          primaryText={(r: RaRecord) => r.name}
          secondaryText={(r: RaRecord) => `roll ${r.roll} · ${r.city}`}
          linkType="edit"
        />
      ) : (
        <Datagrid rowClick="edit" bulkActionButtons={false}>
          <TextField source="id" label="ID" />
          <TextField source="name" />
          <NumberField source="roll" />
          <TextField source="city" sortable={false} />
          <DateField source="updatedAt" label="Updated" showTime sortable={false} />
          {/* Rows open on click; the button is the way in from the keyboard. */}
          <EditButton />
        </Datagrid>
      )}
    </List>
  );
};

const StudentFields = () => (
  <>
    <TextInput source="name" validate={required()} />
    <NumberInput source="roll" validate={required()} step={1} />
    <TextInput source="city" validate={required()} />
  </>
);

export const StudentCreate = () => (
  <Create redirect="list" title="New student">
    <SimpleForm>
      <StudentFields />
    </SimpleForm>
  </Create>
);

const StudentTitle = () => {
  const record = useRecordContext();
  return <span>Student {record ? String(record.name) : ""}</span>;
};

const StudentToolbar = () => (
  <Toolbar sx={{ display: "flex", justifyContent: "space-between" }}>
    <SaveButton />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Delete this student?"
      confirmContent="This cannot be undone."
    />
  </Toolbar>
);

export const StudentEdit = () => (
  <Edit title={<StudentTitle />} mutationMode="pessimistic" redirect="list">
    <SimpleForm toolbar={<StudentToolbar />}>
      <TextInput source="id" label="ID" disabled />
      <StudentFields />
    </SimpleForm>
  </Edit>
);
