-- Sanity checks: the layer's block and each channel's baseline-corrected score and p-value.
ALTER TABLE "LayerResult" ADD COLUMN "sanity" JSONB;
ALTER TABLE "ChannelResult" ADD COLUMN "baseline_corrected" DOUBLE PRECISION,
ADD COLUMN "baseline_p" DOUBLE PRECISION;
