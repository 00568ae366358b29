import { digestKey, keyPrefix } from "../../auth/crypto";
import { existingDigests, insertTokens } from "../../auth/token.queries";
import type { DatabaseHandle, Executor } from "../../db/database";
import { existingRolls, insertStudents } from "../../students/student.queries";
import { existingUsernames, insertUsers } from "../../users/user.queries";
import type { NewKey, NewStudent, NewUser, TargetLookups } from "./plan";

// The import's only access to the target database: what is already there
// (by the values its unique indexes compare), and the inserts, one page at a
// time, inside the caller's transaction.

export function targetLookups(tx: Executor): TargetLookups {
  return {
    takenUsernames: (usernames) => existingUsernames(tx, usernames),
    async takenKeys(keys) {
      const byDigest = new Map(keys.map((k) => [digestKey(k), k]));
      return (await existingDigests(tx, [...byDigest.keys()])).map((digest) => byDigest.get(digest)!);
    },
    takenRolls: (rolls) => existingRolls(tx, rolls),
  };
}

/** One page of users and their keys; the keys go to the ids the users get here. */
export async function writeUsers(tx: Executor, users: NewUser[], keys: NewKey[]): Promise<void> {
  const created = await insertUsers(
    tx,
    users.map(({ djangoId: _, ...user }) => user),
  );
  const byName = new Map(created.map((u) => [u.username, u.id]));
  const ids = new Map(users.map((u) => [u.djangoId, byName.get(u.username)!]));
  await insertTokens(
    tx,
    keys.map((k) => ({
      digest: digestKey(k.key),
      prefix: keyPrefix(k.key),
      name: "imported",
      userId: ids.get(k.djangoUserId)!,
      createdAt: k.created,
      expiresAt: null,
      scopes: null,
    })),
  );
}

export async function writeStudents(tx: Executor, students: NewStudent[]): Promise<void> {
  await insertStudents(tx, students);
}

/**
 * Runs `fn` in one transaction (all or nothing), or, for a dry run, on the
 * database itself: the lookups are the same, and nothing is written.
 */
export function inTransaction<T>(db: DatabaseHandle, dryRun: boolean, fn: (tx: Executor) => Promise<T>): Promise<T> {
  if (dryRun) return fn(db.kysely);
  return db.transaction(fn);
}
