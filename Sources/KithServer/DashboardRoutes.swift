import Hummingbird

/// `GET /`: the dashboard. The page itself holds no data; its script asks the API with the key
/// the user gives it, so the dashboard sees exactly what that key may see.
struct DashboardRoutes {
    func add(to router: Router<KithRequestContext>) {
        router.get("/") { _, _ in
            var response = Reply.text(DashboardPage.html, contentType: "text/html; charset=utf-8")
            // Everything is inline and same-origin: no CDN, nothing fetched from elsewhere.
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
