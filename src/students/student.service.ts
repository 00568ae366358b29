import { z } from "zod";
import type { DatabaseHandle, Transaction } from "../db/prisma";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES, NotFoundError } from "../shared/errors";
import { isRecordMissing, isUniqueViolation } from "../shared/prisma-errors";
import { searchTerms } from "../shared/search";
import { parseId, patchFields, text, validate, type Nullable } from "../shared/validation";
import { findStudent, insertStudent, listStudents, type StudentRow } from "./student.queries";
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

  async list(query: StudentListQuery) {
    const args = validate(listArgs, query);
    return listStudents(this.db.sql, this.db.provider, {
      terms: searchTerms(args.search),
      order: args.orderBy ?? StudentOrder.ID_ASC,
      limit: args.limit,
      offset: args.offset,
    });
  }

  async get(id: string): Promise<StudentRow | null> {
    const key = parseId(id);
    return key === null ? null : findStudent(this.db.sql, key);
  }

  async create(input: unknown) {
    const data = validate(fullInput, input);
    try {
      return await insertStudent(this.db.sql, data, new Date());
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

  /** Which of these rolls are taken. */
  async existingRolls(rolls: number[], tx: Transaction = this.db.prisma): Promise<number[]> {
    return (await tx.student.findMany({ where: { roll: { in: rolls } }, select: { roll: true } })).map((s) => s.roll);
  }

  /** Inserts students as they are (rolls kept, ids new). For `manage import-django`. */
  async importMany(
    rows: { name: string; roll: number; city: string; createdAt: Date; updatedAt: Date }[],
    tx: Transaction,
  ): Promise<void> {
    await tx.student.createMany({ data: rows });
  }

  async delete(id: string): Promise<true> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      await this.db.prisma.student.delete({ where: { id: key } });
      return true;
    } catch (e) {
      throw translate(e);
    }
  }

  private async save(id: string, data: Partial<z.output<typeof fullInput>>) {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      return await this.db.prisma.student.update({ where: { id: key }, data });
    } catch (e) {
      throw translate(e);
    }
  }
}

function translate(error: unknown): unknown {
  if (isUniqueViolation(error, "Student", "roll")) return BadInputError.field("roll", MESSAGES.rollTaken);
  if (isRecordMissing(error)) return new NotFoundError();
  return error;
}
