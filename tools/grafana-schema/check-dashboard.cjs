// Checks Grafana dashboard JSON files against Grafana's own published types:
//   node tools/grafana-schema/check-dashboard.cjs deploy/grafana/dashboards/*.json
// @grafana/schema holds the dashboard and panel types Grafana generates from its
// schemas (the dashboard model, each panel plugin's options and field config);
// @grafana/grafana-foundation-sdk holds the Prometheus and Loki query types. Each part
// of a dashboard is written out as a TypeScript object literal of its type, and the
// TypeScript compiler checks it: a key the type does not have, a wrong value type or
// a value outside an enumeration is an error. Prints one "file: where: message" per
// problem; exits 1 if there is any.
const { readFileSync } = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const MODULES = path.join(__dirname, "node_modules", "@grafana");
const SCHEMA = path.join(MODULES, "schema", "dist", "types", "raw");
const SDK = path.join(MODULES, "grafana-foundation-sdk", "dist");
// The query type of each data source plugin (the SDK spells Loki's in lower case).
const QUERIES = {
  prometheus: [`${SDK}/prometheus/types.gen`, "Dataquery"],
  loki: [`${SDK}/loki/types.gen`, "dataquery"],
};

// A JSON file cannot name an enum member, only its value: each enum becomes the
// union of its values; methods (the SDK's marker functions) are left out.
const PRELUDE = `
import type * as dashboard from ${JSON.stringify(`${SCHEMA}/dashboard/x/types.gen`)};
type Json<T> =
  T extends string ? \`\${T}\` :
  T extends number | boolean | null | undefined ? T :
  T extends readonly (infer U)[] ? Json<U>[] :
  T extends object ? { [K in keyof T as T[K] extends (...args: any[]) => any ? never : K]: Json<T[K]> } :
  T;
`;

function literal(value) {
  return JSON.stringify(value, null, 1);
}

function without(object, ...keys) {
  const rest = { ...object };
  for (const key of keys) delete rest[key];
  return rest;
}

// [where, type, value] for each part of the dashboard.
function parts(model) {
  const found = [["dashboard", "dashboard.Dashboard", without(model, "panels")]];
  const imports = new Map();
  const panels = (model.panels || []).flatMap((p) => (p.type === "row" ? [p, ...(p.panels || [])] : [p]));
  for (const panel of panels) {
    const where = `panel "${panel.title}"`;
    if (panel.type === "row") {
      found.push([where, "dashboard.RowPanel", without(panel, "panels")]);
      continue;
    }
    found.push([where, "dashboard.Panel", without(panel, "options", "fieldConfig", "targets")]);
    const config = path.join(SCHEMA, "composable", panel.type, "panelcfg", "x", "types.gen");
    const name = `panel_${panel.type.replace(/\W/g, "_")}`;
    imports.set(name, config);
    if (panel.options !== undefined) found.push([`${where} options`, `${name}.Options`, panel.options]);
    if (panel.fieldConfig !== undefined) {
      const defaults = panel.fieldConfig.defaults || {};
      found.push([`${where} fieldConfig`, "dashboard.FieldConfigSource",
        { ...panel.fieldConfig, defaults: without(defaults, "custom") }]);
      if (defaults.custom !== undefined) {
        found.push([`${where} fieldConfig.defaults.custom`, `${name}.FieldConfig`, defaults.custom]);
      }
    }
    for (const target of panel.targets || []) {
      const source = (target.datasource || panel.datasource || {}).type;
      if (!(source in QUERIES)) {
        found.push([`${where} target ${target.refId}`, "never", target]);
        continue;
      }
      const [module, type] = QUERIES[source];
      imports.set(`query_${source}`, module);
      found.push([`${where} target ${target.refId}`, `query_${source}.${type}`, target]);
    }
  }
  return { found, imports };
}

function check(file) {
  const { found, imports } = parts(JSON.parse(readFileSync(file, "utf8")));
  const lines = [PRELUDE];
  for (const [name, module] of imports) lines.push(`import type * as ${name} from ${JSON.stringify(module)};`);
  const starts = [];
  found.forEach(([, type, value], n) => {
    starts.push(lines.join("\n").split("\n").length);
    lines.push(`export const part${n}: Json<${type}> = ${literal(value)};`);
  });
  const source = lines.join("\n");
  const name = path.join(__dirname, "dashboard-check.ts");
  const options = { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
                    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (fileName, language, ...rest) => (fileName === name
    ? ts.createSourceFile(fileName, source, language) : read(fileName, language, ...rest));
  const program = ts.createProgram([name], options, host);
  const problems = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    let where = "the check itself";
    if (diagnostic.file && diagnostic.file.fileName === name) {
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const index = starts.filter((start) => start <= line + 1).length - 1;
      if (index >= 0) where = found[index][0];
    }
    problems.push(`${file}: ${where}: ${message}`);
  }
  return problems;
}

let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const problem of check(file)) {
    problems += 1;
    console.log(problem);
  }
}
process.exit(problems ? 1 : 0);
