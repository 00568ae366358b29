import { KEY_PATTERN, keyPrefix } from "../../auth/crypto";
import { textProblem } from "../../graphql/text-rule";
import { studentSchemas } from "../../students/student.service";
import { djangoHashStatus } from "../../users/django-hashers";
import { emailField } from "../../users/user.rules";
import type { ImportedUser } from "../../users/user.service";
import { usernameField } from "../../users/username";
import type { Row, SourceDuplicates } from "./read";

// From Django's rows to the rows to write: each field converted, checked by
// the rules the API applies to the same field (text rule, lengths, email
// form, username rule, students' rules), and checked against what the
// target holds and against the rest of the source. A row that fails is
// refused with one line; nothing here reads the source or writes the target.

export type OnConflict = "skip" | "fail";

export class ImportError extends Error {}

export interface NewUser extends ImportedUser {
  djangoId: string;
}

export interface NewKey {
  key: string;
  djangoUserId: string;
  created: Date;
}

export interface NewStudent {
  name: string;
  roll: number;
  city: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Counts {
  users: number;
  keys: number;
  students: number;
  skipped: { users: number; keys: number; students: number };
  /** Users whose hash is never checked here: a hasher this server does not check, or costs beyond its bounds. */
  passwordMustBeReset: number;
  /** Users Django itself would not let log in with a password ("!" hashes). */
  unusablePasswords: number;
}

/** What the target holds already, by the values its unique indexes compare (write.ts). */
export interface TargetLookups {
  /** Which of these usernames are taken (as stored, no normalisation). */
  takenUsernames(usernames: string[]): Promise<string[]>;
  /** Which of these keys are stored already (by digest). */
  takenKeys(keys: string[]): Promise<string[]>;
  takenRolls(rolls: number[]): Promise<number[]>;
}

type Kind = keyof Counts["skipped"];

/** Django's AbstractBaseUser.password is a varchar(128): no Django hash is longer. */
const HASH_MAX = 128;
/** Refused rows named in a failing run's one line; the rest are counted. */
const NAMED = 10;

/** A row's value as the API would take it, or why not. */
type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (problem: string): Checked<never> => ({ ok: false, problem });

function zodProblem(result: { success: false; error: { issues: { message: string }[] } }): string {
  return result.error.issues.map((i) => i.message).join(" ");
}

/** A text column: a string that passes the contract's text rule (no NUL, no lone surrogate). */
function textOf(value: unknown, column: string): Checked<string> {
  if (typeof value !== "string")
    return bad(`${column}: expected text, found ${value === null ? "NULL" : typeof value}`);
  const problem = textProblem(value);
  return problem ? bad(`${column}: ${problem}`) : ok(value);
}

function username(value: unknown): Checked<string> {
  const raw = textOf(value, "username");
  if (!raw.ok) return raw;
  const parsed = usernameField.safeParse(raw.value);
  if (!parsed.success) return bad(`breaks the username rules: ${zodProblem(parsed)}`);
  // Logins are looked up trimmed and NFKC-normalised: another form could never log in.
  if (parsed.data !== raw.value)
    return bad(`breaks the username rules: logins would look it up as "${parsed.data}" (trimmed, NFKC)`);
  return ok(raw.value);
}

function email(value: unknown): Checked<string> {
  const raw = textOf(value ?? "", "email");
  if (!raw.ok) return raw;
  const parsed = emailField.safeParse(raw.value);
  // Stored as the API would store it: trimmed, the domain lower-cased.
  return parsed.success ? ok(parsed.data) : bad(`email: ${zodProblem(parsed)}`);
}

function hash(value: unknown): Checked<string> {
  const raw = textOf(value, "password");
  if (!raw.ok) return raw;
  if (raw.value.length > HASH_MAX) return bad(`password: the hash is longer than Django's ${HASH_MAX} characters`);
  return raw;
}

/** SQLite gives 0/1, PostgreSQL booleans. */
function bool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "t";
}

/**
 * PostgreSQL's pg gives Dates; Django writes SQLite datetimes as text,
 * "2026-11-30 05:35:04.123456", in UTC when USE_TZ is on (the default), sometimes with an offset.
 */
function date(value: unknown, column: string): Checked<Date | null> {
  if (value === null || value === undefined) return ok(null);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return ok(value);
  if (typeof value === "string") {
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
    if (m) {
      const fraction = (m[3] ?? "").slice(0, 4); // milliseconds: what the target keeps
      const parsed = new Date(`${m[1]}T${m[2]}${fraction}${m[4] ?? "Z"}`);
      if (!Number.isNaN(parsed.getTime())) return ok(parsed);
    }
  }
  return bad(`${column}: ${(JSON.stringify(value) ?? typeof value).slice(0, 40)} is not a date`);
}

function required(value: Checked<Date | null>, column: string): Checked<Date> {
  if (!value.ok) return value;
  return value.value === null ? bad(`${column}: expected a date, found NULL`) : ok(value.value);
}

/** The first problem among a row's fields, or the values. */
function all<T extends Record<string, Checked<unknown>>>(
  fields: T,
): Checked<{ [K in keyof T]: T[K] extends Checked<infer V> ? V : never }> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (!field.ok) return field;
    values[name] = field.value;
  }
  return ok(values as { [K in keyof T]: T[K] extends Checked<infer V> ? V : never });
}

function toUser(row: Row): Checked<NewUser> {
  const user = all({
    username: username(row.username),
    email: email(row.email),
    password: hash(row.password),
    dateJoined: required(date(row.date_joined, "date_joined"), "date_joined"),
    lastLogin: date(row.last_login, "last_login"),
  });
  if (!user.ok) return user;
  return ok({
    djangoId: String(row.id),
    ...user.value,
    // Django's superuser passes every permission check, so it is staff here.
    isStaff: bool(row.is_staff) || bool(row.is_superuser),
    isActive: bool(row.is_active),
  });
}

function toStudent(row: Row): Checked<NewStudent> {
  const fields = all({
    name: textOf(row.name, "name"),
    city: textOf(row.city, "city"),
    createdAt: date(row.created_at, "created_at"),
    updatedAt: date(row.updated_at, "updated_at"),
  });
  if (!fields.ok) return fields;
  const roll = typeof row.roll === "bigint" ? Number(row.roll) : row.roll;
  const parsed = studentSchemas.input.safeParse({ name: fields.value.name, roll, city: fields.value.city });
  if (!parsed.success) {
    return bad(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(" "));
  }
  const createdAt = fields.value.createdAt ?? new Date();
  return ok({ ...parsed.data, createdAt, updatedAt: fields.value.updatedAt ?? createdAt });
}

/** Names a source row in one line, whatever its text holds. */
const quote = (value: unknown) => JSON.stringify(typeof value === "string" ? value.slice(0, 60) : String(value));
const userLabel = (row: Row) => `user #${String(row.id)} ${quote(row.username)}`;

/**
 * Decides page by page; holds only counts, the first refused rows' lines and
 * the source's repeated values.
 */
export class Planner {
  readonly counts: Counts = {
    users: 0,
    keys: 0,
    students: 0,
    skipped: { users: 0, keys: 0, students: 0 },
    passwordMustBeReset: 0,
    unusablePasswords: 0,
  };
  /** Refused rows so far (they end a `fail` run). */
  refused = 0;
  private readonly named: string[] = [];

  constructor(
    private readonly onConflict: OnConflict,
    private readonly duplicates: SourceDuplicates,
    private readonly target: TargetLookups,
    /** Prints a refused row's line as it is found (with `skip`), so none is held. */
    private readonly note: (line: string) => void,
  ) {}

  /**
   * A row that cannot be imported. With `skip` it is left out, and listed
   * when it breaks a rule or repeats in the source (not when it is simply
   * here already: a second run would list every row).
   */
  private refuse(kind: Kind, what: string, listed = true) {
    this.counts.skipped[kind]++;
    if (this.onConflict === "skip") {
      if (listed) this.note(`skipped: ${what}`);
      return;
    }
    this.refused++;
    if (this.named.length < NAMED) this.named.push(what);
  }

  /** A page of users and the keys of their id range: what to write. */
  async users(page: { users: Row[]; keys: Row[] }): Promise<{ users: NewUser[]; keys: NewKey[] }> {
    const checked = page.users.map((row) => ({ row, user: toUser(row) }));
    const taken = new Set(
      await this.target.takenUsernames(checked.flatMap(({ user }) => (user.ok ? [user.value.username] : []))),
    );
    const users: NewUser[] = [];
    const names = new Map<string, string>();
    for (const { row, user } of checked) {
      names.set(String(row.id), userLabel(row));
      if (!user.ok) this.refuse("users", `${userLabel(row)}: ${user.problem}`);
      else if (this.duplicates.usernames.has(user.value.username))
        this.refuse("users", `${userLabel(row)}: the username appears more than once in the source`);
      else if (taken.has(user.value.username)) this.refuse("users", `${userLabel(row)} already exists`, false);
      else {
        users.push(user.value);
        const status = djangoHashStatus(user.value.password);
        if (status === "unsupported") this.counts.passwordMustBeReset++;
        if (status === "unusable") this.counts.unusablePasswords++;
      }
    }
    const imported = new Set(users.map((u) => u.djangoId));

    const wellFormed = page.keys.filter((k) => typeof k.key === "string" && KEY_PATTERN.test(k.key));
    const takenKeys = new Set(await this.target.takenKeys(wellFormed.map((k) => k.key as string)));
    const keys: NewKey[] = [];
    for (const row of page.keys) {
      const owner = names.get(String(row.user_id)) ?? `user #${String(row.user_id)}`;
      const key = typeof row.key === "string" && KEY_PATTERN.test(row.key) ? row.key : null;
      const label = key ? `key ${keyPrefix(key)}… of ${owner}` : `key of ${owner}`;
      const repeated = key === null ? undefined : this.duplicates.keys.get(key);
      const created = required(date(row.created, "created"), "created");
      // A key is only ever attached to the user it came with: never to someone already here who has the same name.
      if (!imported.has(String(row.user_id))) this.counts.skipped.keys++;
      else if (key === null)
        this.refuse("keys", `${label}: not 40 lowercase hex characters, so no client could use it here`);
      else if (repeated)
        this.refuse(
          "keys",
          repeated.users > 1
            ? `${label}: the same key belongs to ${repeated.users} users in the source`
            : `${label}: the key appears ${repeated.rows} times in the source`,
        );
      else if (!created.ok) this.refuse("keys", `${label}: ${created.problem}`);
      else if (takenKeys.has(key)) this.refuse("keys", `${label} already exists`, false);
      else keys.push({ key, djangoUserId: String(row.user_id), created: created.value });
    }
    this.counts.users += users.length;
    this.counts.keys += keys.length;
    return { users, keys };
  }

  async students(rows: Row[]): Promise<NewStudent[]> {
    const checked = rows.map((row) => ({ row, student: toStudent(row) }));
    const taken = new Set(
      await this.target.takenRolls(checked.flatMap(({ student }) => (student.ok ? [student.value.roll] : []))),
    );
    const students: NewStudent[] = [];
    for (const { row, student } of checked) {
      const roll = typeof row.roll === "number" || typeof row.roll === "bigint" ? String(row.roll) : quote(row.roll);
      const label = `student roll ${roll}`;
      if (!student.ok) this.refuse("students", `${label}: ${student.problem}`);
      else if (this.duplicates.rolls.has(student.value.roll))
        this.refuse("students", `${label}: the roll appears more than once in the source`);
      else if (taken.has(student.value.roll)) this.refuse("students", `${label} already exists`, false);
      else students.push(student.value);
    }
    this.counts.students += students.length;
    return students;
  }

  /** With `fail`, one line naming the refused rows; null when there are none. */
  failure(): string | null {
    if (this.refused === 0) return null;
    const more = this.refused - this.named.length;
    const rows = this.named.join("; ") + (more > 0 ? `; and ${more} more` : "");
    const head = this.refused === 1 ? "" : `${this.refused} rows cannot be imported: `;
    return `${head}${rows} (--on-conflict skip leaves such rows out)`;
  }
}
