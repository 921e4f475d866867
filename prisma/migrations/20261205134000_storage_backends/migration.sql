-- The PostgreSQL storage backend: large objects, deduplicated by content.
CREATE TABLE "StorageBlob" (
    "sha256" TEXT NOT NULL,
    "oid" OID NOT NULL,
    "size" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StorageBlob_pkey" PRIMARY KEY ("sha256")
);

CREATE TABLE "StorageObject" (
    "key" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StorageObject_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "StorageObject_sha256_idx" ON "StorageObject"("sha256");

ALTER TABLE "StorageObject" ADD CONSTRAINT "StorageObject_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "StorageBlob"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;
