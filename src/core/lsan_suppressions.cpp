// Built only with -DVIGIE_SANITIZE=address. libpqxx 6.4 (Debian 12) leaks the PGresult of a
// query sent on a connection the server has closed: the result is made by libpq for the
// error, and libpqxx throws broken_connection before taking ownership of it. It happens
// once per dropped connection, in the library; everything else is still reported.

extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpqxx-6.4.so\n";
}
