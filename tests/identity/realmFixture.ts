/** The realm both Keycloak test files render from: the realm file's tests and the host script's. */
import { RealmImportInput, realmImport } from "../../components/identity/realm";

export const realmInput: RealmImportInput = {
    realm: "zta",
    issuerUrlBase: "https://keycloak.lab:8443",
    audience: "zta-ingress",
    clientId: "zta-client",
    accessTokenLifespanSeconds: 300,
};
export const realm = realmImport(realmInput);
export const realmWithUser = realmImport({ ...realmInput, testUser: { username: "alice" } });
