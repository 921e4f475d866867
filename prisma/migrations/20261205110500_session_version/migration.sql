-- Revocable sessions: session cookies are valid only while their version matches.
ALTER TABLE "User" ADD COLUMN "sessionVersion" INTEGER NOT NULL DEFAULT 0;
