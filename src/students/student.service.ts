import { z } from "zod";
import type { DatabaseHandle } from "../db/database";
import { isUniqueViolation } from "../db/errors";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES, NotFoundError } from "../shared/errors";
import { searchTerms } from "../shared/search";
import { parseId, patchFields, text, validate, type Nullable } from "../shared/validation";
import {
  deleteStudent,
  findStudent,
  insertStudent,
  listStudents,
  studentColumns,
  updateStudent,
  type StudentRow,
} from "./student.queries";
import { StudentOrder } from "./student.type";

// Students: the seed's CRUD resource. The unique roll is enforced by the
// database, never by a look-before-insert, so two racing requests cannot both win.

const fields = {
  name: text(100),
  roll: z
    .number({ error: "A valid integer is required." })
    .int("A valid integer is required.")
    .min(0, "Ensure this value is greater than or equal to 0.")
    // The column is a 32-bit integer, as GraphQL's Int.
    .max(2_147_483_647, "Ensure this value is less than or equal to 2147483647."),
  city: text(100),
};

const fullInput = z.object(fields);
const patchInput = fullInput.partial();
const listArgs = z.object({ ...paginationRules, orderBy: z.enum(StudentOrder).nullish() });

/** The input rules, for tests that feed them arbitrary values. */
export const studentSchemas = { input: fullInput, patch: patchInput, list: listArgs };

export interface StudentListQuery {
  limit?: number | null;
  offset?: number | null;
  search?: string | null;
  orderBy?: StudentOrder | null;
}

export class StudentService {
  constructor(private readonly db: DatabaseHandle) {}

  /**
   * A page of students. `fields`: the row fields the caller will read (a
   * GraphQL selection); the others are then left undefined.
   */
  async list(query: StudentListQuery, opts: { count: boolean; fields?: ReadonlySet<string> } = { count: true }) {
    const args = validate(listArgs, query);
    return listStudents(this.db.kysely, this.db.provider, {
      count: opts.count,
      columns: studentColumns(opts.fields),
      terms: searchTerms(args.search),
      order: args.orderBy ?? StudentOrder.ID_ASC,
      limit: args.limit,
      offset: args.offset,
    });
  }

  /** A student, or null. `fields` as in list(). */
  async get(id: string, fields?: ReadonlySet<string>): Promise<StudentRow | null> {
    const key = parseId(id);
    return key === null ? null : findStudent(this.db.kysely, key, studentColumns(fields));
  }

  async create(input: unknown) {
    const data = validate(fullInput, input);
    try {
      return await insertStudent(this.db.kysely, data, new Date());
    } catch (e) {
      throw translate(e);
    }
  }

  /** PUT: every field given. */
  update(id: string, input: unknown) {
    return this.save(id, validate(fullInput, input));
  }

  /** PATCH: only the fields given change. */
  patch(id: string, input: Nullable<z.input<typeof patchInput>>) {
    return this.save(id, validate(patchInput, patchFields(input)));
  }

  async delete(id: string): Promise<true> {
    const key = parseId(id);
    if (key === null || !(await deleteStudent(this.db.kysely, key))) throw new NotFoundError();
    return true;
  }

  private async save(id: string, data: Partial<z.output<typeof fullInput>>): Promise<StudentRow> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    let row: StudentRow | null;
    try {
      row = await updateStudent(this.db.kysely, key, data, new Date());
    } catch (e) {
      throw translate(e);
    }
    if (!row) throw new NotFoundError();
    return row;
  }
}

function translate(error: unknown): unknown {
  if (isUniqueViolation(error, "Student", "roll")) return BadInputError.field("roll", MESSAGES.rollTaken);
  return error;
}
