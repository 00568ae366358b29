-- The audit trail of authentication events (see model AuthEvent in prisma/sqlite/schema.prisma)
-- CreateTable
CREATE TABLE "AuthEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "createdAt" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "actorId" INTEGER,
    "actorName" TEXT,
    "subjectId" INTEGER,
    "subjectName" TEXT,
    "clientAddress" TEXT,
    "userAgent" TEXT,
    "requestId" TEXT,
    "details" TEXT
);

-- CreateIndex
CREATE INDEX "AuthEvent_createdAt_idx" ON "AuthEvent"("createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_kind_createdAt_idx" ON "AuthEvent"("kind", "createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_actorId_createdAt_idx" ON "AuthEvent"("actorId", "createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_subjectId_createdAt_idx" ON "AuthEvent"("subjectId", "createdAt");

