-- The number of students, kept by triggers (model StudentCount in schema.prisma).
CREATE TABLE "StudentCount" (
    "slot" INTEGER NOT NULL PRIMARY KEY,
    "n" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "StudentCount" ("slot", "n") SELECT 0, COUNT(*) FROM "Student";
CREATE TRIGGER "Student_count_insert" AFTER INSERT ON "Student"
BEGIN
    UPDATE "StudentCount" SET "n" = "n" + 1 WHERE "slot" = 0;
END;
CREATE TRIGGER "Student_count_delete" AFTER DELETE ON "Student"
BEGIN
    UPDATE "StudentCount" SET "n" = "n" - 1 WHERE "slot" = 0;
END;
