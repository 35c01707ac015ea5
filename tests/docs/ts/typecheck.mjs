// Type-check the TypeScript snippets: `node tests/docs/ts/typecheck.mjs` (from the repo root).
//
// 1. tsc's own diagnostics for tsconfig.json (ts.getPreEmitDiagnostics: what `npx tsc --noEmit` prints),
//    against the packages' own type declarations: a wrong option name or a wrong type fails here.
// 2. A missing await that types cannot see: an expression statement whose value is a Promise
//    (`collection.add({...});` without await) is reported as a floating promise.
// Exits 1 with one line per problem, `file:line:col - message`.
import ts from "typescript";

const configPath = ts.findConfigFile(".", ts.sys.fileExists, "tsconfig.json");
if (!configPath) throw new Error("tsconfig.json not found: run from the repository root");
const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ".");
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();

const host = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: ts.sys.getCurrentDirectory,
  getNewLine: () => "\n",
};
const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, host).trimEnd());

/** True when the type is a Promise (or a union containing one). */
function isPromise(type) {
  if (type.isUnion()) return type.types.some(isPromise);
  const name = type.getSymbol()?.getName();
  return name === "Promise" || name === "PromiseLike";
}

function location(file, node) {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${file.fileName}:${line + 1}:${character + 1}`;
}

for (const file of program.getSourceFiles()) {
  if (file.isDeclarationFile || file.fileName.includes("/node_modules/")) continue;
  const visit = (node) => {
    if (ts.isExpressionStatement(node)) {
      const expr = node.expression;
      const handled = ts.isAwaitExpression(expr) || ts.isVoidExpression(expr);
      if (!handled && isPromise(checker.getTypeAtLocation(expr))) {
        const text = expr.getText(file).split("\n")[0];
        problems.push(`${location(file, expr)} - error: floating Promise, missing await? \`${text}\``);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`type-checked ${parsed.fileNames.length} files with TypeScript ${ts.version}`);
