-- The audit trail of authentication events (see model AuthEvent in prisma/sqlite/schema.prisma)
-- CreateTable
CREATE TABLE "AuthEvent" (
    "id" SERIAL NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "actorId" INTEGER,
    "actorName" TEXT,
    "subjectId" INTEGER,
    "subjectName" TEXT,
    "clientAddress" TEXT,
    "userAgent" TEXT,
    "requestId" TEXT,
    "details" TEXT,

    CONSTRAINT "AuthEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuthEvent_createdAt_idx" ON "AuthEvent"("createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_kind_createdAt_idx" ON "AuthEvent"("kind", "createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_actorId_createdAt_idx" ON "AuthEvent"("actorId", "createdAt");

-- CreateIndex
CREATE INDEX "AuthEvent_subjectId_createdAt_idx" ON "AuthEvent"("subjectId", "createdAt");

