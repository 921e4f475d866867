-- Group PCACE of a picked set of a layer's channels, computed by the workers as an artifact;
-- and the network-wide deletion curves as a leased artifact row, queued in the transaction that
-- completes the analysis, so a worker that dies before computing them leaves them to another.
ALTER TYPE "ArtifactKind" ADD VALUE 'group';
ALTER TYPE "ArtifactKind" ADD VALUE 'network_curves';
