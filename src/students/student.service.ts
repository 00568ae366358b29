import { z } from "zod";
import type { DatabaseHandle } from "../db/prisma";
import { BadInputError, NotFoundError } from "../shared/errors";
import { isRecordMissing, isUniqueViolation } from "../shared/prisma-errors";
import { pagedRows, selectColumns } from "../shared/paged-query";
import { searchCondition } from "../shared/search";
import { page, parseId, text, patchFields, validate, type Nullable } from "../shared/validation";
import { StudentOrder } from "./student.type";

// Students: the seed's CRUD resource. The unique roll is enforced by the
// database, never by a look-before-insert, so two racing requests cannot both win.

const ROLL_TAKEN = "student with this roll already exists.";

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
const patchInput = z.object({
  name: fields.name.optional(),
  roll: fields.roll.optional(),
  city: fields.city.optional(),
});
const listArgs = z.object({ ...page, orderBy: z.nativeEnum(StudentOrder) });

/** The input rules, for tests that feed them arbitrary values. */
export const studentSchemas = { input: fullInput, patch: patchInput, list: listArgs };

const ORDER: Record<StudentOrder, string> = {
  ID_ASC: `"id" ASC`,
  ID_DESC: `"id" DESC`,
  // id breaks ties so pages never overlap or skip.
  NAME_ASC: `"name" ASC, "id" ASC`,
  NAME_DESC: `"name" DESC, "id" DESC`,
  ROLL_ASC: `"roll" ASC`,
  ROLL_DESC: `"roll" DESC`,
};

const COLUMNS = ["id", "name", "roll", "city", "createdAt", "updatedAt"] as const;

type StudentRow = { id: number; name: string; roll: number; city: string; createdAt: Date; updatedAt: Date };

export interface StudentListQuery {
  limit?: number | null;
  offset?: number | null;
  search?: string | null;
  orderBy?: StudentOrder | null;
}

export class StudentService {
  constructor(private readonly db: DatabaseHandle) {}

  async list(query: StudentListQuery) {
    const args = validate(listArgs, {
      limit: query.limit ?? 20,
      offset: query.offset ?? 0,
      search: query.search,
      orderBy: query.orderBy ?? StudentOrder.ID_ASC,
    });
    return pagedRows<StudentRow>(this.db, {
      table: "Student",
      columns: COLUMNS,
      where: searchCondition(this.db.provider, ["name", "city"], args.search),
      orderBy: ORDER[args.orderBy],
      limit: args.limit,
      offset: args.offset,
    });
  }

  async get(id: string): Promise<StudentRow | null> {
    const key = parseId(id);
    if (key === null) return null;
    const [row] = await this.db.prisma.$queryRaw<StudentRow[]>`${selectColumns("Student", COLUMNS)} WHERE "id" = ${key}`;
    return row ?? null;
  }

  async create(input: unknown) {
    const data = validate(fullInput, input);
    try {
      return await this.db.prisma.student.create({ data });
    } catch (e) {
      throw this.translate(e);
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
    if (key === null) throw new NotFoundError();
    try {
      await this.db.prisma.student.delete({ where: { id: key } });
      return true;
    } catch (e) {
      throw this.translate(e);
    }
  }

  private async save(id: string, data: Partial<z.output<typeof fullInput>>) {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      return await this.db.prisma.student.update({ where: { id: key }, data });
    } catch (e) {
      throw this.translate(e);
    }
  }

  private translate(error: unknown): unknown {
    if (isUniqueViolation(error, "roll")) return BadInputError.field("roll", ROLL_TAKEN);
    if (isRecordMissing(error)) return new NotFoundError();
    return error;
  }
}
