// Starts Swagger UI on /api/docs (fraud_app/docs.py). A file of its own, not a script inside the page:
// the page's Content-Security-Policy runs only scripts served by the app.
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    // Relative to the page, so that it holds behind a path prefix (Binder's /proxy/8000/).
    url: new URL(root.dataset.description, document.baseURI).href,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The validator badge would send the description to validator.swagger.io: no network calls from here.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
