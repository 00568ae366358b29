import Database from "better-sqlite3";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { testRoot } from "../../support/databases";
import { describeSkipped } from "../../support/providers";
import { onCI } from "../../support/system-tool";

// A real Django database made by the seed's DRF stack (../shared/anchors/drf)
// and Django's own manage.py: the anchor's setup.sh, then users of every kind
// a production database holds, created through Django's ORM and hashers.

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..", "..");
/** ../shared beside the clone (a git worktree one level deeper also finds it); DRF_ANCHOR overrides. */
export const ANCHOR =
  process.env.DRF_ANCHOR ??
  [join(ROOT, "..", "shared", "anchors", "drf"), join(ROOT, "..", "..", "shared", "anchors", "drf")].find((d) =>
    existsSync(d),
  ) ??
  join(ROOT, "..", "shared", "anchors", "drf");
const PYTHON = "/usr/bin/python3";

/** Django and DRF from Debian (python3-django, python3-djangorestframework): .ci/run installs them. */
export const djangoInstalled =
  existsSync("/usr/lib/python3/dist-packages/django") && existsSync("/usr/lib/python3/dist-packages/rest_framework");
/** On CI a missing Django fails the suite; on a developer's machine it skips these tests. */
export const describeWithDjango: jest.Describe =
  djangoInstalled || onCI()
    ? describe
    : describeSkipped("no Django, apt-get install python3-django python3-djangorestframework");

export const STUDENTS = 12;

/** Passwords as people typed them into Django, by username. */
export const PASSWORDS = {
  admin: "Admin-pass-123",
  amit: "P@ssword123",
  José: "Contraseña-ñ-2024",
  Ωmega_用户: "пароль-密码-Ω-42",
  sleeper: "Sleeper-pass-9",
  chief: "Chief-pass-77",
  "john doe": "John-doe-pass-1",
  oldsha1: "Sha1-pass-42",
  legacy: "Legacy-pass-5",
} as const;

// Run by `manage.py shell -c`: the users the seed lacks, and the keys as JSON on the last line.
const USERS_SCRIPT = `
import json
from django.contrib.auth.models import User
from django.contrib.auth.hashers import make_password
from rest_framework.authtoken.models import Token
P = json.loads(${JSON.stringify(JSON.stringify(PASSWORDS))})
User.objects.create_user('José', 'jose@example.com', P['José'])
User.objects.create_user('Ωmega_用户', '', P['Ωmega_用户'])
User.objects.create_user('sleeper', 'sleeper@example.com', P['sleeper'], is_active=False)
User.objects.create_user('chief', 'chief@example.com', P['chief'], is_superuser=True)
User.objects.create_user('nopass', 'nopass@example.com')
# create_user does not run the username validators: Django lets such a name in.
User.objects.create_user('john doe', '', P['john doe'])
u = User.objects.create_user('oldsha1', '', 'x')
u.password = make_password(P['oldsha1'], hasher='pbkdf2_sha1')
u.save()
u = User.objects.create_user('legacy', '', 'x')
# An MD5 hash from an old Django project: no hasher here checks it.
u.password = 'md5$salt$' + 'a' * 32
u.save()
Token.objects.filter(user__username='nopass').delete()
print(json.dumps({t.user.username: t.key for t in Token.objects.all()}))
`;

export interface DjangoDatabase {
  /** The anchor's writable copy. */
  dir: string;
  /** The SQLite file (for the SQLite source). */
  file: string;
  /** Each user's 40-hex key, by username. */
  keys: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

async function python(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const { stdout } = await run(PYTHON, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    timeout: 120_000,
    maxBuffer: 16 << 20,
  });
  return stdout;
}

function copyAnchor(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "django-import-")), "drf");
  cpSync(ANCHOR, dir, { recursive: true });
  chmodSync(dir, 0o755);
  return dir;
}

async function addUsers(dir: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const out = await python(dir, ["manage.py", "shell", "-c", USERS_SCRIPT], env);
  return JSON.parse(out.trim().split("\n").pop()!) as Record<string, string>;
}

/** The anchor's setup.sh (admin, amit, STUDENTS students) and then the users above, on SQLite. */
export async function makeDjangoSqlite(): Promise<DjangoDatabase> {
  const dir = copyAnchor();
  await run(join(dir, "setup.sh"), [String(STUDENTS)], { cwd: dir, timeout: 300_000 });
  const keys = await addUsers(dir, {});
  return { dir, file: join(dir, "db.sqlite3"), keys, env: {} };
}

/** The same data in a PostgreSQL database, migrated by Django itself (through psycopg2). */
export async function makeDjangoPostgres(url: string): Promise<DjangoDatabase> {
  const dir = copyAnchor();
  const u = new URL(url);
  writeFileSync(
    join(dir, "anchor", "settings_pg.py"),
    `from .settings import *  # noqa\nimport os\nDATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', ` +
      `'NAME': os.environ['DJ_PG_NAME'], 'USER': os.environ['DJ_PG_USER'], 'PASSWORD': os.environ['DJ_PG_PASSWORD'], ` +
      `'HOST': os.environ['DJ_PG_HOST'], 'PORT': os.environ['DJ_PG_PORT']}}\n`,
  );
  const env = {
    DJANGO_SETTINGS_MODULE: "anchor.settings_pg",
    DJ_PG_NAME: decodeURIComponent(u.pathname.slice(1)),
    DJ_PG_USER: decodeURIComponent(u.username) || "postgres",
    DJ_PG_PASSWORD: decodeURIComponent(u.password),
    DJ_PG_HOST: u.hostname,
    DJ_PG_PORT: u.port || "5432",
  };
  await python(dir, ["manage.py", "migrate", "--noinput", "-v", "0"], env);
  await python(dir, ["manage.py", "seed", String(STUDENTS)], { ...env, ADMIN_PASSWORD: PASSWORDS.admin });
  const keys = await addUsers(dir, env);
  return { dir, file: "", keys, env };
}

/** Runs Python against the Django database (e.g. to add a user after a first import). */
export async function djangoShell(db: DjangoDatabase, script: string): Promise<string> {
  return python(db.dir, ["manage.py", "shell", "-c", script], db.env);
}

/** A private copy of the Django SQLite file, changed by `edit` (better-sqlite3, as a DBA would). */
export function sourceCopy(django: DjangoDatabase, edit: (db: Database.Database) => void): string {
  const file = join(testRoot(), `django-${randomBytes(6).toString("hex")}.sqlite3`);
  copyFileSync(django.file, file);
  const db = new Database(file);
  try {
    edit(db);
  } finally {
    db.close();
  }
  return file;
}
