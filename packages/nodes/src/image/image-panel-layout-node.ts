/** InvokeAI's image_panel_layout (`invocations/image_panels.py`): the box of one panel of a grid. */
import { defineInvocation, defineOutput, InputField, OutputField, z } from "@atelier/core";
import { requireField } from "./image-node-helpers.js";

/** `image_panel_coordinate_output`: a panel's box. */
export const ImagePanelCoordinateOutput = defineOutput({
  type: "image_panel_coordinate_output",
  fields: {
    x_left: OutputField(z.number().int(), { description: "The left x-coordinate of the panel." }),
    y_top: OutputField(z.number().int(), { description: "The top y-coordinate of the panel." }),
    width: OutputField(z.number().int(), { description: "The width of the panel." }),
    height: OutputField(z.number().int(), { description: "The height of the panel." }),
  },
});

/** `image_panel_layout`: panel (col, row) of a num_cols × num_rows grid over width × height (floor division). */
export const ImagePanelLayoutInvocation = defineInvocation({
  type: "image_panel_layout",
  title: "Image Panel Layout",
  tags: ["image", "panel", "layout"],
  category: "canvas",
  version: "1.0.0",
  classification: "prototype",
  description:
    "Get the coordinates of a single panel in a grid. (If the full image shape cannot be divided evenly into panels,\nthen the grid may not cover the entire image.)",
  inputs: {
    width: InputField(z.number().int(), { description: "The width of the entire grid." }),
    height: InputField(z.number().int(), { description: "The height of the entire grid." }),
    num_cols: InputField(z.number().int().gte(1), { default: 1, description: "The number of columns in the grid." }),
    num_rows: InputField(z.number().int().gte(1), { default: 1, description: "The number of rows in the grid." }),
    panel_col_idx: InputField(z.number().int().gte(0), {
      default: 0,
      description: "The column index of the panel to be processed.",
    }),
    panel_row_idx: InputField(z.number().int().gte(0), {
      default: 0,
      description: "The row index of the panel to be processed.",
    }),
  },
  output: ImagePanelCoordinateOutput,
  invoke() {
    requireField(
      this,
      "panel_col_idx",
      this.panel_col_idx < this.num_cols,
      `must be between 0 and ${this.num_cols - 1}, got ${this.panel_col_idx}`,
    );
    requireField(
      this,
      "panel_row_idx",
      this.panel_row_idx < this.num_rows,
      `must be between 0 and ${this.num_rows - 1}, got ${this.panel_row_idx}`,
    );
    const width = Math.floor(this.width / this.num_cols);
    const height = Math.floor(this.height / this.num_rows);
    return { x_left: this.panel_col_idx * width, y_top: this.panel_row_idx * height, width, height };
  },
});
