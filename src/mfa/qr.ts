// The enrolment QR code, drawn on the server as SVG and shown as a data: image (the CSP allows
// data: images and no script; an inline <svg> would need nothing more, but an <img> keeps the
// markup out of the page and gives it alternative text).
import QRCode from 'qrcode';

export async function qrDataUri(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The secret in groups of four, easier to type from the screen. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}
