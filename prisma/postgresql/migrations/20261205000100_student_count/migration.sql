-- The number of students, kept by triggers (model StudentCount in prisma/sqlite/schema.prisma).
-- 16 slots: concurrent inserts from different connections update different rows.
CREATE TABLE "StudentCount" (
    "slot" INTEGER NOT NULL,
    "n" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "StudentCount_pkey" PRIMARY KEY ("slot")
);
INSERT INTO "StudentCount" ("slot", "n") SELECT s, 0 FROM generate_series(0, 15) AS s;
UPDATE "StudentCount" SET "n" = (SELECT COUNT(*) FROM "Student") WHERE "slot" = 0;

CREATE FUNCTION "Student_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "StudentCount" SET "n" = "n" + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END)
    WHERE "slot" = pg_backend_pid() % 16;
    RETURN NULL;
END
$$;
CREATE TRIGGER "Student_count" AFTER INSERT OR DELETE ON "Student"
    FOR EACH ROW EXECUTE FUNCTION "Student_count"();

CREATE FUNCTION "Student_count_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "StudentCount" SET "n" = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER "Student_count_truncate" AFTER TRUNCATE ON "Student"
    FOR EACH STATEMENT EXECUTE FUNCTION "Student_count_truncate"();
