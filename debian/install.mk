# make install / make uninstall (PREFIX, DESTDIR), make deb, make test-install.
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/booking/sql
	install -m 0755 $(BUILD)/booking-fcgi $(BUILD)/booking-expire \
	    $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 scripts/migrate.sh $(DESTDIR)$(PREFIX)/sbin/booking-migrate
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/booking/sql/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/booking-fcgi \
	      $(DESTDIR)$(PREFIX)/sbin/booking-expire \
	      $(DESTDIR)$(PREFIX)/sbin/booking-migrate
	rm -rf $(DESTDIR)$(PREFIX)/share/booking
