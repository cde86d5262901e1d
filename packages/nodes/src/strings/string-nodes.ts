/**
 * InvokeAI's string nodes (`invocations/strings.py`).
 */
import { defineInvocation, defineOutput, InputField, OutputField, StringOutput, z } from "@atelier/core";
import { withFieldErrors } from "../logic/field-errors.js";
import { replaceAll, splitOnce, splitPositiveNegative } from "./string-operations.js";

/** `string_pos_neg_output`: `{positive_string, negative_string}`. */
export const StringPosNegOutput = defineOutput({
  type: "string_pos_neg_output",
  description: "Base class for invocations that output a positive and negative string",
  fields: {
    positive_string: OutputField(z.string(), { description: "Positive string" }),
    negative_string: OutputField(z.string(), { description: "Negative string" }),
  },
});

/** `string_2_output`: `{string_1, string_2}`. */
export const String2Output = defineOutput({
  type: "string_2_output",
  description: "Base class for invocations that output two strings",
  fields: {
    string_1: OutputField(z.string(), { description: "string 1" }),
    string_2: OutputField(z.string(), { description: "string 2" }),
  },
});

const text = (description: string) => InputField(z.string(), { default: "", description, ui_component: "textarea" });

/** `string_split_neg`: `[bracketed]` text becomes the negative prompt. */
export const StringSplitNegInvocation = defineInvocation({
  type: "string_split_neg",
  title: "String Split Negative",
  tags: ["string", "split", "negative"],
  category: "strings",
  version: "1.0.1",
  description:
    "Splits string into two strings, inside [] goes into negative string everthing else goes into positive string. Each [ and ] character is replaced with a space",
  inputs: { string: text("String to split") },
  output: StringPosNegOutput,
  invoke() {
    return splitPositiveNegative(this.string);
  },
});

/** `string_split`: split at the first delimiter. */
export const StringSplitInvocation = defineInvocation({
  type: "string_split",
  title: "String Split",
  tags: ["string", "split"],
  category: "strings",
  version: "1.0.1",
  description:
    "Splits string into two strings, based on the first occurance of the delimiter. The delimiter will be removed from the string",
  inputs: {
    string: text("String to split"),
    delimiter: InputField(z.string(), {
      default: "",
      description: "Delimiter to spilt with. blank will split on the first whitespace",
    }),
  },
  output: String2Output,
  invoke() {
    return splitOnce(this.string, this.delimiter);
  },
});

/** `string_join`: left + right. */
export const StringJoinInvocation = defineInvocation({
  type: "string_join",
  title: "String Join",
  tags: ["string", "join"],
  category: "strings",
  version: "1.0.1",
  description: "Joins string left to string right",
  inputs: { string_left: text("String Left"), string_right: text("String Right") },
  output: StringOutput,
  invoke() {
    return { value: this.string_left + this.string_right };
  },
});

/** `string_join_three`: left + middle + right. */
export const StringJoinThreeInvocation = defineInvocation({
  type: "string_join_three",
  title: "String Join Three",
  tags: ["string", "join"],
  category: "strings",
  version: "1.0.1",
  description: "Joins string left to string middle to string right",
  inputs: {
    string_left: text("String Left"),
    string_middle: text("String Middle"),
    string_right: text("String Right"),
  },
  output: StringOutput,
  invoke() {
    return { value: this.string_left + this.string_middle + this.string_right };
  },
});

/** `string_replace`: literal (case-insensitive) or regex replacement. */
export const StringReplaceInvocation = defineInvocation({
  type: "string_replace",
  title: "String Replace",
  tags: ["string", "replace", "regex"],
  category: "strings",
  version: "1.0.1",
  description: "Replaces the search string with the replace string",
  inputs: {
    string: text("String to work on"),
    search_string: text("String to search for"),
    replace_string: text("String to replace the search"),
    use_regex: InputField(z.boolean(), {
      default: false,
      description: "Use search string as a regex expression (non regex is case insensitive)",
    }),
  },
  output: StringOutput,
  invoke() {
    return {
      value: withFieldErrors(this, this, () =>
        replaceAll(this.string, this.search_string, this.replace_string, this.use_regex),
      ),
    };
  },
});

/** Every string node. */
export const STRING_NODES = [
  StringSplitNegInvocation,
  StringSplitInvocation,
  StringJoinInvocation,
  StringJoinThreeInvocation,
  StringReplaceInvocation,
] as const;
