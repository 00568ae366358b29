import "reflect-metadata";
import { printSchema } from "graphql";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getSchema } from "./schema";

// `npm run schema`: writes the served schema to schema.graphql at the top level.
export async function emittedSdl(): Promise<string> {
  return printSchema(await getSchema()) + "\n";
}

if (require.main === module) {
  void emittedSdl().then((sdl) => {
    const file = join(__dirname, "..", "..", "schema.graphql");
    writeFileSync(file, sdl);
    console.log(`wrote ${file}`);
  });
}
