/** A preview sent with `invocation_progress` events: the displayed size and a JPEG data URL. */
export interface ProgressImage {
  readonly width: number;
  readonly height: number;
  /** `data:image/jpeg;base64,...` */
  readonly dataURL: string;
}
