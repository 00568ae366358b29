import "reflect-metadata";
import { Command, CommanderError, Option } from "commander";
import { GraphQLError } from "graphql";
import { userInfo } from "node:os";
import { createApp, type App } from "../app";
import { AUTH_EVENT_KINDS, AuthEventKind } from "../audit/audit-kind";
import type { AuthEventEntry } from "../audit/audit.service";
import { parseDuration } from "../config/duration";
import { tokenName } from "../auth/token.service";
import { loadConfig } from "../config/config";
import { migrateWithSettings } from "../db/migrate";
import { importDjango, type OnConflict } from "./import-django/import-django";
import { formatReport, terminalProgress } from "./import-django/report";
import { SCOPES, type Scope } from "../graphql/scopes";
import { BadInputError } from "../shared/errors";
import { passwordProblems } from "../users/password-rules";
import { emailField } from "../users/user.rules";
import { Prompter } from "./prompt";

// DRF's manage.py for this API: `npm run manage -- <command>`. Every failure
// is one line on stderr and exit status 1, with nothing changed.

class CommandError extends Error {}

/** The command being run, set before its action: the actor of the audit events it records. */
let command = "manage";

async function withApp<T>(run: (app: App) => Promise<T>): Promise<T> {
  const app = createApp(loadConfig(), { actor: command });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

async function requireUser(app: App, username: string, message = `User ${username} does not exist`) {
  const user = await app.services.users.findByUsername(username);
  if (!user) throw new CommandError(message);
  return user;
}

/** Asks for a password twice until both match and the rules pass (Django's loop). */
async function askPassword(
  prompter: Prompter,
  user: { username?: string; email?: string },
  attempts = 3,
): Promise<string> {
  for (let i = 0; i < attempts; i++) {
    const password = await prompter.ask("Password: ", { hidden: true });
    const again = await prompter.ask("Password (again): ", { hidden: true });
    if (password !== again) {
      console.error("Error: Your passwords didn't match.");
      continue;
    }
    if (password.trim() === "") {
      console.error("Error: Blank passwords aren't allowed.");
      continue;
    }
    const problems = passwordProblems(password, user);
    if (problems.length > 0) {
      // Django writes the validators' messages one per line, without "Error:".
      // (Its "Bypass password validation?" question is not offered: the rules
      // are enforced by the user service for every way of creating a user.)
      console.error(problems.join("\n"));
      continue;
    }
    return password;
  }
  throw new CommandError(`Aborting after ${attempts} attempts`);
}

/** The flag that sets an argument of the API, for messages: `--expires` rather than `expiresIn`. */
const FLAG_OF_FIELD: Record<string, string> = { scopes: "--scope", expiresIn: "--expires" };

function describe(error: unknown): string {
  if (error instanceof BadInputError) {
    return Object.entries(error.fields)
      .map(([field, messages]) => `${FLAG_OF_FIELD[field] ?? field}: ${messages.join(" ")}`)
      .join("; ");
  }
  if (error instanceof GraphQLError || error instanceof Error) return error.message;
  return String(error);
}

export function buildProgram(): Command {
  const program = new Command("manage")
    .description("Management commands for the token-authenticated GraphQL API (like Django's manage.py)")
    .showHelpAfterError()
    .exitOverride()
    .hook("preAction", (_program, action) => {
      command = `manage ${action.name()}`;
    });

  program
    .command("migrate")
    .description("apply pending database migrations")
    .action(async () => {
      // The wait, when another process holds the lock, goes to stderr: stdout keeps one line.
      const { applied } = await migrateWithSettings(loadConfig(), (line) => console.error(`migrations: ${line}`));
      console.log(applied.length === 0 ? "No migrations to apply." : "Migrations applied.");
    });

  program
    .command("createsuperuser")
    .description("create a staff user, with a key (prompts unless --no-input)")
    .option("--username <username>", "login name (or SUPERUSER_USERNAME)")
    .option("--email <email>", "email address (or SUPERUSER_EMAIL)")
    .option("--no-input", "ask nothing: the password comes from SUPERUSER_PASSWORD")
    .action(async (opts: { username?: string; email?: string; input: boolean }) => {
      await withApp(async (app) => {
        let username = opts.username ?? process.env.SUPERUSER_USERNAME;
        let email = opts.email ?? process.env.SUPERUSER_EMAIL ?? "";
        let password: string;
        if (!opts.input) {
          if (!username) throw new CommandError("--username (or SUPERUSER_USERNAME) is required with --no-input");
          password = process.env.SUPERUSER_PASSWORD ?? "";
          if (!password) throw new CommandError("SUPERUSER_PASSWORD must be set with --no-input");
        } else {
          const prompter = new Prompter();
          try {
            const fallback = safeLoginName();
            while (!username) {
              const hint = fallback ? ` (leave blank to use '${fallback}')` : "";
              const answer = (await prompter.ask(`Username${hint}: `)).trim() || fallback;
              if (!answer) console.error("Error: This field cannot be blank.");
              else if (await app.services.users.findByUsername(answer))
                console.error("Error: That username is already taken.");
              else username = answer;
            }
            // Checked at its prompt and asked again, as Django does, so a
            // typo does not cost the passwords typed after it.
            while (opts.email === undefined) {
              const answer = emailField.safeParse(await prompter.ask("Email address: "));
              if (answer.success) {
                email = answer.data;
                break;
              }
              console.error(`Error: ${answer.error.issues.map((i) => i.message).join(" ")}`);
            }
            password = await askPassword(prompter, { username, email });
          } finally {
            prompter.close();
          }
        }
        const { token } = await app.services.accounts.createUser(
          { username, email, password, isStaff: true },
          { allowStaff: true, tokenName: "cli" },
        );
        console.log("Superuser created successfully.");
        console.log(`Generated token ${token} for user ${username}`);
      });
    });

  program
    .command("create-token")
    .alias("drf_create_token")
    .description("issue a key for a user and print it (DRF's drf_create_token)")
    .argument("<username>")
    .option("-r, --reset", "revoke the user's other keys first")
    .addOption(new Option("--name <name>", "a label for the key").default("cli"))
    .option(
      "--scope <scope>",
      `limit the key to a scope (${SCOPES.join(", ")}); repeat it, or separate with commas; none: all the user may`,
      (value: string, previous: string[] = []) => [...previous, ...value.split(",")],
    )
    .option("--expires <duration>", "the key's own lifetime (90s, 30m, 12h, 30d), at most TOKEN_TTL")
    .action(async (username: string, opts: { reset?: boolean; name: string; scope?: string[]; expires?: string }) => {
      await withApp(async (app) => {
        const name = tokenName(opts.name, "cli");
        const terms = app.services.tokens.terms({ scopes: scopesOfFlags(opts.scope), expiresIn: opts.expires });
        const user = await requireUser(app, username, `Cannot create the Token: user ${username} does not exist`);
        app.services.tokens.checkHolder(terms, user);
        const { token } = await app.services.tokens.issueOrNotFound(user.id, name, {
          terms,
          revokeOthers: opts.reset,
        });
        console.log(`Generated token ${token} for user ${username}`);
      });
    });

  program
    .command("revoke-tokens")
    .description("revoke every key of a user")
    .argument("<username>")
    .action(async (username: string) => {
      await withApp(async (app) => {
        const user = await requireUser(app, username);
        const count = await app.services.tokens.revokeAll(user.id);
        console.log(`Revoked ${count} token${count === 1 ? "" : "s"} for user ${username}`);
      });
    });

  program
    .command("changepassword")
    .description("set a user's password (prompted twice) and revoke their keys")
    .argument("<username>")
    .action(async (username: string) => {
      await withApp(async (app) => {
        const user = await requireUser(app, username);
        const prompter = new Prompter();
        try {
          console.log(`Changing password for user '${username}'`);
          const password = await askPassword(prompter, user);
          await app.services.accounts.setPassword(user.id, password, null);
        } finally {
          prompter.close();
        }
        console.log(`Password changed successfully for user '${username}'; their keys were revoked.`);
      });
    });

  program
    .command("import-django")
    .description("import users, passwords, DRF keys and students from a Django database, all or nothing")
    .argument("<source>", "the Django SQLite file, or a postgresql:// URL")
    .option("--students-table <name>", "the students' table (default: api_student, if present)")
    .option("--dry-run", "check everything and print what would be imported; write nothing")
    .addOption(
      new Option(
        "--on-conflict <what>",
        "rows that cannot be imported (already here, repeated in the source, or breaking a rule): fail names them, skip leaves them out",
      )
        .choices(["fail", "skip"])
        .default("fail"),
    )
    .action(async (source: string, opts: { studentsTable?: string; dryRun?: boolean; onConflict: OnConflict }) => {
      await withApp(async (app) => {
        const dryRun = opts.dryRun === true;
        const progress = terminalProgress();
        try {
          const report = await importDjango(app.db, source, {
            studentsTable: opts.studentsTable,
            dryRun,
            onConflict: opts.onConflict,
            note: (line) => console.log(line),
            progress,
          });
          if (!dryRun) {
            const { users, keys, students, skipped, passwordMustBeReset, unusablePasswords } = report;
            app.audit.record({
              kind: AuthEventKind.DJANGO_IMPORTED,
              details: { users, keys, students, skipped, passwordMustBeReset, unusablePasswords },
            });
          }
          console.log(formatReport(report, dryRun));
        } finally {
          progress.end();
        }
      });
    });

  program
    .command("audit")
    .description("print the audit trail of authentication events, newest first")
    .option("--user <username>", "only events by or about this user (also one deleted since)")
    .option("--since <duration>", "only the events of this last while (90s, 30m, 12h, 30d)")
    .option(
      "--kind <kind>",
      `only events of this kind (${AUTH_EVENT_KINDS.join(", ")}); repeat it, or separate with commas`,
      (value: string, previous: string[] = []) => [...previous, ...value.split(",")],
    )
    .addOption(new Option("--limit <n>", "at most this many events (1 to 100)").default("50"))
    .action(async (opts: { user?: string; since?: string; kind?: string[]; limit: string }) => {
      const kinds = opts.kind?.map((value) => {
        const kind = AUTH_EVENT_KINDS.find((k) => k.valueOf() === value.trim().toUpperCase());
        if (!kind)
          throw new CommandError(`--kind: ${JSON.stringify(value)} is not one of ${AUTH_EVENT_KINDS.join(", ")}`);
        return kind;
      });
      let since: Date | undefined;
      if (opts.since !== undefined) {
        try {
          since = new Date(Date.now() - parseDuration(opts.since) * 1000);
        } catch (e) {
          throw new CommandError(`--since: ${(e as Error).message}`);
        }
      }
      const limit = /^\d{1,3}$/.test(opts.limit) ? Number(opts.limit) : NaN;
      if (!(limit >= 1 && limit <= 100)) throw new CommandError("--limit: give a whole number from 1 to 100");
      await withApp(async (app) => {
        // A user deleted since is still found by the name the events kept.
        const user = opts.user === undefined ? null : await app.services.users.findByUsername(opts.user);
        const page = await app.services.auditEvents.list({
          kinds,
          userId: user ? String(user.id) : undefined,
          userName: opts.user !== undefined && !user ? opts.user : undefined,
          since,
          limit,
        });
        if (page.results.length === 0) {
          console.log("No events.");
          return;
        }
        console.log(page.results.map(formatEvent).join("\n"));
        if (page.count > page.results.length) console.log(`(${page.results.length} of ${page.count} events)`);
      });
    });

  return program;
}

/** `--scope` values as scopes (any case); an unknown name is refused, naming the choices. */
function scopesOfFlags(values: string[] | undefined): Scope[] | undefined {
  if (values === undefined) return undefined;
  return values.map((value) => {
    const name = value.trim().toUpperCase();
    const scope = SCOPES.find((s) => s.valueOf() === name);
    if (!scope)
      throw BadInputError.field("scopes", `${JSON.stringify(value)} is not a scope: choose from ${SCOPES.join(", ")}.`);
    return scope;
  });
}

/** One event on one line: time, kind, actor, subject, client address, request id, details. */
function formatEvent(e: AuthEventEntry): string {
  const who = (id: number | null, name: string | null) => (id === null ? (name ?? "-") : `${name ?? "?"}#${id}`);
  return [
    e.createdAt.toISOString(),
    e.kind.padEnd(16),
    `by ${who(e.actorId, e.actorName)}`,
    `on ${who(e.subjectId, e.subjectName)}`,
    e.clientAddress ? `from ${e.clientAddress}` : "",
    e.requestId ? `request ${e.requestId}` : "",
    e.details ? JSON.stringify(e.details) : "",
  ]
    .filter(Boolean)
    .join("  ");
}

function safeLoginName(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    // A CommandError's line is printed as is (DRF's "Cannot create the Token: ..." is the contract's).
    console.error(e instanceof CommandError ? e.message : `Error: ${describe(e)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
