import {
  cdktfToCdktn,
  cdktnToCdktf,
  isCdktfSpecifier,
  moduleSpecifiers,
  renameModuleSpecifiers,
} from "../../scripts/toolkit-specifiers";

/** What tsc emits for modules/ in JavaScript and declarations, plus a comment and strings naming cdktf. */
const JS = `"use strict";
// Built with cdktf: require("cdktf") in a comment is not an import.
const cdktf_1 = require("cdktf");
const ecs_service_1 = require("@cdktf/provider-aws/lib/ecs-service");
const constructs_1 = require("constructs");
const lazy = () => import('cdktf');
exports.TOOLKIT = "cdktf";
`;

const DTS = `import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
export { Fn, Token } from "cdktf";
export * from "./cdktf";
import cdktf = require("cdktf");
export declare function f(x: import("cdktf").IResolvable): void;
declare module "cdktf" {}
/** Like \`import { App } from "cdktf"\` in a doc comment. */
export declare const NAME = "@cdktf/provider-aws";
`;

describe("moduleSpecifiers", () => {
  it("GIVEN JavaScript WHEN scanned THEN it finds require() and import() calls, not comments or other strings", () => {
    expect(moduleSpecifiers(JS, "x.js").map(({ specifier }) => specifier)).toEqual([
      "cdktf",
      "@cdktf/provider-aws/lib/ecs-service",
      "constructs",
      "cdktf",
    ]);
  });

  it("GIVEN declarations WHEN scanned THEN it finds imports, re-exports, import =, import types and module declarations", () => {
    expect(moduleSpecifiers(DTS, "x.d.ts").map(({ specifier }) => specifier)).toEqual([
      "@cdktf/provider-aws/lib/ecs-service",
      "cdktf",
      "./cdktf",
      "cdktf",
      "cdktf",
      "cdktf",
    ]);
  });
});

describe("renameModuleSpecifiers with cdktfToCdktn", () => {
  it("GIVEN JavaScript WHEN renamed THEN only the specifiers change, quotes kept", () => {
    expect(renameModuleSpecifiers(JS, "x.js", cdktfToCdktn)).toBe(
      JS.replace('= require("cdktf")', '= require("cdktn")')
        .replace(
          'require("@cdktf/provider-aws/lib/ecs-service")',
          'require("@cdktn/provider-aws/lib/ecs-service")',
        )
        .replace("import('cdktf')", "import('cdktn')"),
    );
  });

  it("GIVEN declarations WHEN renamed THEN no cdktf specifier is left, the relative ./cdktf and the doc comment stay", () => {
    const renamed = renameModuleSpecifiers(DTS, "x.d.ts", cdktfToCdktn);
    expect(moduleSpecifiers(renamed, "x.d.ts").map(({ specifier }) => specifier)).toEqual([
      "@cdktn/provider-aws/lib/ecs-service",
      "cdktn",
      "./cdktf",
      "cdktn",
      "cdktn",
      "cdktn",
    ]);
    expect(renamed).toContain('Like `import { App } from "cdktf"` in a doc comment.');
    expect(renamed).toContain('export declare const NAME = "@cdktf/provider-aws";');
  });

  it("GIVEN the renamed text WHEN renamed back with cdktnToCdktf THEN it is the original, byte for byte", () => {
    for (const [text, file] of [
      [JS, "x.js"],
      [DTS, "x.d.ts"],
    ] as const) {
      const renamed = renameModuleSpecifiers(text, file, cdktfToCdktn);
      expect(renamed).not.toBe(text);
      expect(renameModuleSpecifiers(renamed, file, cdktnToCdktf)).toBe(text);
    }
  });

  it("GIVEN a cdktf package without a CDK Terrain counterpart in the table WHEN renamed THEN it throws naming it and what is allowed", () => {
    expect(() => cdktfToCdktn("@cdktf/provider-random/lib/pet")).toThrow(
      'module specifier "@cdktf/provider-random/lib/pet" has no CDK Terrain counterpart; allowed: cdktf, cdktf/...; @cdktf/provider-aws, @cdktf/provider-aws/...',
    );
  });

  it("GIVEN names that merely start like cdktf WHEN classified THEN only cdktf's own packages count", () => {
    expect(
      ["cdktf", "cdktf/lib/x", "cdktf-cli", "@cdktf/provider-aws", "cdktfx", "cdktn", "./cdktf"].map(
        isCdktfSpecifier,
      ),
    ).toEqual([true, true, true, true, false, false, false]);
    expect(cdktfToCdktn("cdktfx")).toBeUndefined();
  });
});
