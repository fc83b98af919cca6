// drizzle-kit: generates migrations/ for the global registry (applied to D1 and to SQLite on Node).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/storage/schema.ts',
  out: './migrations',
});
