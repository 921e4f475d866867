-- Per-task progress and size, so the analysis progress is the channel-weighted
-- mean over its layer tasks, whichever workers run them.
ALTER TABLE "LayerTask" ADD COLUMN "channels" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "LayerTask" ADD COLUMN "progress" DOUBLE PRECISION NOT NULL DEFAULT 0;
