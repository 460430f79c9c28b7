// The CommonJS build lives inside a `"type": "module"` package: a package.json
// beside it tells Node to load its .js files as CommonJS.
import { writeFileSync } from "node:fs";
writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), '{ "type": "commonjs" }\n');
