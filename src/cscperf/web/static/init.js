// Starts the GOV.UK Frontend components (the page works without it).
import { initAll } from "./vendor/govuk-frontend/govuk-frontend.min.js";
initAll();
