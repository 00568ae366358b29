-- What a key may do: null = everything its user may (see model Token in prisma/sqlite/schema.prisma)
ALTER TABLE "Token" ADD COLUMN "scopes" TEXT;
