-- API tokens: expiry, lab restriction and read-only scope.
ALTER TABLE "ApiToken" ADD COLUMN "expiresAt" TIMESTAMP(3),
ADD COLUMN "labId" TEXT,
ADD COLUMN "readOnly" BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Tokens made before expiry existed never expired: they now expire 90 days from this migration.
UPDATE "ApiToken" SET "expiresAt" = CURRENT_TIMESTAMP + INTERVAL '90 days' WHERE "revokedAt" IS NULL;

-- Archived models and datasets: hidden from pickers, kept for their analyses.
ALTER TABLE "Model" ADD COLUMN "archivedAt" TIMESTAMP(3);
ALTER TABLE "Dataset" ADD COLUMN "archivedAt" TIMESTAMP(3);
