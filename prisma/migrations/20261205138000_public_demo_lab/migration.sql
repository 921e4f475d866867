-- The public demo lab: readable by every signed-in user as a viewer.
ALTER TABLE "Lab" ADD COLUMN "publicDemo" BOOLEAN NOT NULL DEFAULT false;
