-- Per-lab limits (null = the operator's default) and the round-robin claim time.
ALTER TABLE "Lab" ADD COLUMN "maxRunningTasks" INTEGER,
ADD COLUMN "maxQueuedAnalyses" INTEGER,
ADD COLUMN "maxCpuHoursPerAnalysis" DOUBLE PRECISION,
ADD COLUMN "storageQuotaMb" INTEGER,
ADD COLUMN "lastClaimAt" TIMESTAMP(3);
