import { Admin, Resource, defaultTheme, memoryStore, type RaThemeOptions } from "react-admin";
import PeopleIcon from "@mui/icons-material/People";
import KeyIcon from "@mui/icons-material/Key";
import SchoolIcon from "@mui/icons-material/School";
import HistoryIcon from "@mui/icons-material/History";
import { ActivityList } from "./activity";
import { authProvider } from "./authProvider";
import { dataProvider } from "./dataProvider";
import { i18nProvider } from "./i18n";
import { LoginPage } from "./LoginPage";
import { UserCreate, UserEdit, UserList } from "./users";
import { TokenList } from "./tokens";
import { StudentCreate, StudentEdit, StudentList } from "./students";

// Roboto is react-admin's default font, fetched from Google by most setups;
// the admin stays offline with the system's own fonts.
const theme: RaThemeOptions = {
  ...defaultTheme,
  typography: {
    fontFamily: 'system-ui, -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif',
  },
};

export const App = () => (
  <Admin
    title="drf-token-graphql admin"
    dataProvider={dataProvider}
    authProvider={authProvider}
    i18nProvider={i18nProvider}
    loginPage={LoginPage}
    theme={theme}
    // Preferences in memory: nothing of the admin is written to localStorage.
    store={memoryStore()}
    requireAuth
    disableTelemetry
  >
    <Resource
      name="users"
      list={UserList}
      create={UserCreate}
      edit={UserEdit}
      icon={PeopleIcon}
      recordRepresentation="username"
    />
    <Resource name="tokens" list={TokenList} icon={KeyIcon} options={{ label: "Keys" }} recordRepresentation="prefix" />
    <Resource
      name="students"
      list={StudentList}
      create={StudentCreate}
      edit={StudentEdit}
      icon={SchoolIcon}
      recordRepresentation="name"
    />
    <Resource name="authEvents" list={ActivityList} icon={HistoryIcon} options={{ label: "Activity" }} />
  </Admin>
);
