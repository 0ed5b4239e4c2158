/** Throw-away test PKI (P-256 for speed, never committed), made by the same code as the sim's RSA 4096 PKI. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OpensslPki } from "../../sim/pki";

export type { Pem } from "../../sim/pki";

export class TestPki extends OpensslPki {
    constructor() {
        super(fs.mkdtempSync(path.join(os.tmpdir(), "zta-pki-")), "p256");
    }
}
