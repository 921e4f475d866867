-- Work-taking between the workers of one analysis: a layer task records when its holder
-- began scoring it (a started layer is never taken) and whom a free worker took it from
-- (that worker skips it instead of giving up its group as if its lease had lapsed).
ALTER TABLE "LayerTask" ADD COLUMN "startedAt" TIMESTAMP(3);
ALTER TABLE "LayerTask" ADD COLUMN "takenFrom" TEXT;
