import { defaultI18nProvider, type I18nProvider } from "react-admin";

// react-admin's English texts, with notices that say what happened to what
// ("Key revoked") in place of its generic ones ("Element deleted"): react-admin
// looks up `resources.<resource>.notifications.<event>` first.

const NOTICES: Record<string, string> = {
  "resources.tokens.notifications.deleted": "Key revoked",
  "resources.users.notifications.created": "User created",
  "resources.users.notifications.updated": "User saved",
  "resources.users.notifications.deleted": "User deleted, with their keys",
  "resources.students.notifications.created": "Student created",
  "resources.students.notifications.updated": "Student saved",
  "resources.students.notifications.deleted": "Student deleted",
};

export const i18nProvider: I18nProvider = {
  ...defaultI18nProvider,
  translate: (key, options) => NOTICES[key] ?? defaultI18nProvider.translate(key, options),
};
