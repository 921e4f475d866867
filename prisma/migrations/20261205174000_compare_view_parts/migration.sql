-- Compare views' per-analysis parts, computed when an analysis completes.
CREATE TABLE "AnalysisView" (
    "analysisId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnalysisView_pkey" PRIMARY KEY ("analysisId","key")
);

ALTER TABLE "AnalysisView" ADD CONSTRAINT "AnalysisView_analysisId_fkey" FOREIGN KEY ("analysisId") REFERENCES "Analysis"("id") ON DELETE CASCADE ON UPDATE CASCADE;
