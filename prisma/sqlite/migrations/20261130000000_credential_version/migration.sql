-- Bumped by every password change (see model User in prisma/sqlite/schema.prisma)
ALTER TABLE "User" ADD COLUMN "credentialVersion" INTEGER NOT NULL DEFAULT 0;
