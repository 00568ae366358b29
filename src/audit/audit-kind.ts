import { registerEnumType } from "type-graphql";

// What an audit event records. The names are stored as they are (AuthEvent.kind).

export enum AuthEventKind {
  LOGIN_ACCEPTED = "LOGIN_ACCEPTED",
  LOGIN_REFUSED = "LOGIN_REFUSED",
  LOGIN_THROTTLED = "LOGIN_THROTTLED",
  KEY_ISSUED = "KEY_ISSUED",
  KEY_REVOKED = "KEY_REVOKED",
  PASSWORD_CHANGED = "PASSWORD_CHANGED",
  USER_CREATED = "USER_CREATED",
  USER_UPDATED = "USER_UPDATED",
  USER_DEACTIVATED = "USER_DEACTIVATED",
  USER_DELETED = "USER_DELETED",
  DJANGO_IMPORTED = "DJANGO_IMPORTED",
}

export const AUTH_EVENT_KINDS: readonly AuthEventKind[] = Object.values(AuthEventKind);

registerEnumType(AuthEventKind, {
  name: "AuthEventKind",
  description: "What an audit event records.",
  valuesConfig: {
    LOGIN_ACCEPTED: { description: "A right password (obtainToken). Actor and subject: the user." },
    LOGIN_REFUSED: {
      description:
        "A wrong password, an unknown or inactive user (obtainToken), or a wrong old password (changePassword). Subject: the username given.",
    },
    LOGIN_THROTTLED: {
      description: "A password check refused by LOGIN_RATE before it ran. Subject: the username given.",
    },
    KEY_ISSUED: { description: "A key was issued to the subject; details: its name, prefix, scopes and expiry." },
    KEY_REVOKED: {
      description: "Keys of the subject were revoked: one (details: its prefix) or all of them (details: all, count).",
    },
    PASSWORD_CHANGED: { description: "The subject's password was changed or set; the actor did it." },
    USER_CREATED: { description: "A user was created (signing up, staff, createsuperuser)." },
    USER_UPDATED: { description: "A user's username, email, staff status or activity changed; details: the fields." },
    USER_DEACTIVATED: { description: "A user was made inactive: their keys stop working." },
    USER_DELETED: { description: "A user and their keys were deleted; the subject's name is kept." },
    DJANGO_IMPORTED: { description: "`manage import-django` imported users, keys and students; details: the counts." },
  },
});
