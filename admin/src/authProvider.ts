import type { AuthProvider } from "react-admin";
import { ApiError, gql, session } from "./graphql";
import { AdminLoginDocument, AdminLogoutDocument, AdminMeDocument } from "./generated/graphql";

// Signing in trades a username and password for a key named "admin"
// (obtainToken); the key lives in sessionStorage only, so it dies with the
// tab. Signing out revokes it. A 401 from the API (expired, revoked or
// deactivated) ends the session and the sign-in page says why, with the
// API's own message.

export const NO_ACCESS = "This account is not staff: it has no access to the admin.";
const FLASH = "drf-token-graphql.admin.flash";

/** A message for the sign-in page, shown once (why the session ended). */
export const flash = {
  peek: (): string | null => sessionStorage.getItem(FLASH),
  clear: () => sessionStorage.removeItem(FLASH),
  set: (message: string) => sessionStorage.setItem(FLASH, message),
};

/** The API said this key is dead: no point revoking it on the way out. */
let keyIsDead = false;

export const authProvider: AuthProvider = {
  async login({ username, password }: { username: string; password: string }) {
    const { obtainToken } = await gql(AdminLoginDocument, { username, password }, { key: null });
    if (!obtainToken.user.isStaff) {
      // Nothing of the admin loads for this person; the key just issued is not left behind.
      await gql(AdminLogoutDocument, {}, { key: obtainToken.token }).catch(() => undefined);
      throw new ApiError(NO_ACCESS, 403, "FORBIDDEN", undefined, undefined);
    }
    keyIsDead = false;
    session.set(obtainToken.token);
  },

  async logout() {
    const key = session.get();
    session.clear();
    if (key && !keyIsDead) await gql(AdminLogoutDocument, {}, { key }).catch(() => undefined);
    keyIsDead = false;
  },

  async checkAuth() {
    if (!session.get()) throw { redirectTo: "/login", message: false };
  },

  async checkError(error: { status?: number; message?: string }) {
    if (error?.status === 401 || error?.status === 403) {
      // Only the first refusal of a live session says why; what fails after
      // the key is gone (refetches, the identity) must not replace it.
      if (session.get()) {
        keyIsDead = error.status === 401;
        flash.set(error.message ?? "Authentication credentials were not provided.");
      }
      throw { redirectTo: "/login", message: false };
    }
  },

  async getIdentity() {
    const { me } = await gql(AdminMeDocument, {});
    if (!me)
      throw new ApiError("Authentication credentials were not provided.", 401, "UNAUTHENTICATED", undefined, undefined);
    if (!me.isStaff) throw new ApiError(NO_ACCESS, 403, "FORBIDDEN", undefined, undefined);
    return { id: me.id, fullName: me.username };
  },

  async getPermissions() {
    return "staff";
  },
};
