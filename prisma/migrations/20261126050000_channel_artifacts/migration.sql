-- Worker-computed, cached channel images (activation maps, Grad-CAM, activation
-- maximisation, top images, layer strips), claimed under renewed leases like LayerTask.
-- CreateEnum
CREATE TYPE "ArtifactKind" AS ENUM ('maps', 'gradcam', 'actmax', 'top', 'strip');

-- CreateEnum
CREATE TYPE "ArtifactStatus" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "ChannelArtifact" (
    "id" TEXT NOT NULL,
    "analysisId" TEXT NOT NULL,
    "layerName" TEXT NOT NULL,
    "channel" INTEGER NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "variant" TEXT NOT NULL DEFAULT '',
    "status" "ArtifactStatus" NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedAt" TIMESTAMP(3),
    "resultPath" TEXT,
    "values" JSONB,
    "seconds" DOUBLE PRECISION,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelArtifact_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChannelArtifact_status_lockedAt_idx" ON "ChannelArtifact"("status", "lockedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelArtifact_analysisId_layerName_channel_kind_variant_key" ON "ChannelArtifact"("analysisId", "layerName", "channel", "kind", "variant");

-- AddForeignKey
ALTER TABLE "ChannelArtifact" ADD CONSTRAINT "ChannelArtifact_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;

