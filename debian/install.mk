# make install / make uninstall (PREFIX, DESTDIR), make deb, make test-install.
#
# One install tree: `make deb` is `make install PREFIX=/usr` into a
# staging DESTDIR, plus the Debian metadata (scripts/pkg-deb.sh).
#
#   $(PREFIX)/sbin                    booking-fcgi, booking-expire, booking-events,
#                                     booking-migrate, booking-nginx-cors
#   $(PREFIX)/share/booking/sql       the migrations (booking-migrate's default),
#                                     and sql/functions, the live definitions
#   $(PREFIX)/share/booking           openapi.json (when api/ has it), examples/
#                                     (pristine copies of the /etc files below),
#                                     www/ (the seat map page, nginx/www)
#   $(PREFIX)/share/doc/booking       README.md
#   $(PREFIX)/share/man/man8          the five programs' manual pages (debian/man)
#   $(UNITDIR)                        the five units, ExecStart= pointed at $(PREFIX)/sbin
#   $(SYSUSERSDIR), $(TMPFILESDIR)    booking.conf each: the user, /run/booking
#   /etc/default/booking              EnvironmentFile example   } only when no file
#   /etc/nginx/sites-available/booking  the site, to enable       } is there yet:
#   /etc/nginx/snippets/booking-fastcgi.conf  its snippet         } never overwritten
#   /etc/nginx/snippets/booking-cors-origins.conf  CORS origins   }
#
# UNITDIR: with PREFIX=/usr, where systemd's pkg-config file says
# (/lib/systemd/system on Debian 12); otherwise $(PREFIX)/lib/systemd/system,
# which systemd searches itself for PREFIX=/usr/local (as it does
# /usr/local/lib/sysusers.d and tmpfiles.d). For another prefix, point
# systemd at the units with `systemctl link`, or set UNITDIR=/etc/systemd/system.

SYSCONFDIR ?= /etc
ifeq ($(PREFIX),/usr)
sd_var = $(or $(shell pkg-config --variable=$(1) systemd 2>/dev/null),$(2))
UNITDIR     ?= $(call sd_var,systemdsystemunitdir,/lib/systemd/system)
SYSUSERSDIR ?= $(call sd_var,sysusersdir,/usr/lib/sysusers.d)
TMPFILESDIR ?= $(call sd_var,tmpfilesdir,/usr/lib/tmpfiles.d)
else
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
endif

D        := $(DESTDIR)
SBIN     := $(PREFIX)/sbin
SHARE    := $(PREFIX)/share/booking
DOCDIR   := $(PREFIX)/share/doc/booking
MAN8DIR  := $(PREFIX)/share/man/man8
MAN8     := booking-fcgi.8 booking-expire.8 booking-events.8 booking-migrate.8 \
            booking-nginx-cors.8
UNITS    := booking-fcgi.socket booking-fcgi.service booking-expire.service booking-expire.timer \
            booking-events.service
SQL      := $(wildcard sql/[0-9][0-9][0-9]_*.sql)
SQL_FUNC := $(wildcard sql/functions/*.sql)
OPENAPI  := $(wildcard api/openapi.json)
WWW      := $(wildcard nginx/www/*)
# Source:name in $(SHARE)/examples, pristine copies of the /etc files.
EXAMPLES := systemd/booking.env.example:booking.env.example \
            nginx/booking.conf:nginx-site-booking.conf \
            nginx/booking-fastcgi.conf:booking-fastcgi.conf \
            nginx/booking-cors-origins.conf:booking-cors-origins.conf
# /etc file:its example, copied from there only when absent; uninstall
# removes it only while it still is the example installed with it.
ETC      := $(SYSCONFDIR)/default/booking:booking.env.example \
            $(SYSCONFDIR)/nginx/sites-available/booking:nginx-site-booking.conf \
            $(SYSCONFDIR)/nginx/snippets/booking-fastcgi.conf:booking-fastcgi.conf \
            $(SYSCONFDIR)/nginx/snippets/booking-cors-origins.conf:booking-cors-origins.conf
# What the units and the migration runner name at /usr/local, as installed.
PATH_SED := -e 's|/usr/local/sbin/|$(SBIN)/|g' \
            -e 's|/usr/local/share/doc/booking/|$(DOCDIR)/|g'
# What the manual pages name at /usr, as installed.
MAN_SED  := -e 's|/usr/share/doc/booking/|$(DOCDIR)/|g' \
            -e 's|/usr/share/booking/|$(SHARE)/|g'

.PHONY: deb test-install

install: all
	install -d $(D)$(SBIN) $(D)$(SHARE)/sql/functions $(D)$(SHARE)/examples $(D)$(DOCDIR) \
	    $(D)$(UNITDIR) $(D)$(SYSUSERSDIR) $(D)$(TMPFILESDIR) $(D)$(MAN8DIR)
	install -m 0755 $(BUILD)/booking-fcgi $(BUILD)/booking-expire $(BUILD)/booking-events \
	    $(D)$(SBIN)/
	sed -e 's|^installed_sql_dir=$$|installed_sql_dir=$(SHARE)/sql|' \
	    scripts/migrate.sh >$(D)$(SBIN)/booking-migrate
	chmod 0755 $(D)$(SBIN)/booking-migrate
	install -m 0755 scripts/nginx-cors.sh $(D)$(SBIN)/booking-nginx-cors
	grep -q '^installed_sql_dir=$(SHARE)/sql$$' $(D)$(SBIN)/booking-migrate
	install -m 0644 $(SQL) $(D)$(SHARE)/sql/
	install -m 0644 $(SQL_FUNC) $(D)$(SHARE)/sql/functions/
	$(if $(OPENAPI),install -m 0644 $(OPENAPI) $(D)$(SHARE)/)
	$(if $(WWW),install -d $(D)$(SHARE)/www && install -m 0644 $(WWW) $(D)$(SHARE)/www/)
	set -e; for e in $(EXAMPLES); do \
	    install -m 0644 $${e%%:*} $(D)$(SHARE)/examples/$${e#*:}; done
	install -m 0644 README.md $(D)$(DOCDIR)/
	set -e; for m in $(MAN8); do \
	    sed $(MAN_SED) debian/man/$$m >$(D)$(MAN8DIR)/$$m; chmod 0644 $(D)$(MAN8DIR)/$$m; done
	set -e; for u in $(UNITS); do \
	    sed $(PATH_SED) systemd/$$u >$(D)$(UNITDIR)/$$u; \
	    chmod 0644 $(D)$(UNITDIR)/$$u; done
	install -m 0644 systemd/booking.sysusers $(D)$(SYSUSERSDIR)/booking.conf
	install -m 0644 systemd/booking.tmpfiles $(D)$(TMPFILESDIR)/booking.conf
	@set -e; for e in $(ETC); do \
	    t=$(D)$${e%%:*} s=$(D)$(SHARE)/examples/$${e#*:}; \
	    case $$t in */default/*) m=0640;; *) m=0644;; esac; \
	    if [ -e "$$t" ]; then echo "install: $$t exists, kept (new example: $(SHARE)/examples)"; \
	    else echo "install -m $$m $$s $$t"; install -D -m $$m $$s "$$t"; fi; done

# Removes what install put; an /etc file only while it is still the
# example as shipped (an admin's edits stay), and only our directories.
uninstall:
	rm -f $(D)$(SBIN)/booking-fcgi $(D)$(SBIN)/booking-expire \
	      $(D)$(SBIN)/booking-events $(D)$(SBIN)/booking-migrate \
	      $(D)$(SBIN)/booking-nginx-cors
	rm -f $(addprefix $(D)$(SHARE)/www/,$(notdir $(WWW)))
	rm -f $(D)$(SHARE)/sql/[0-9][0-9][0-9]_*.sql $(D)$(SHARE)/openapi.json
	rm -f $(addprefix $(D)$(SHARE)/sql/functions/,$(notdir $(SQL_FUNC)))
	@for e in $(ETC); do \
	    t=$(D)$${e%%:*} s=$(D)$(SHARE)/examples/$${e#*:}; [ -e "$$t" ] || continue; \
	    if cmp -s "$$s" "$$t"; then echo "rm -f $$t"; rm -f "$$t"; \
	    else echo "uninstall: $$t differs from $$s (edited), kept"; fi; done
	rm -f $(foreach e,$(EXAMPLES),$(D)$(SHARE)/examples/$(lastword $(subst :, ,$(e))))
	rm -f $(D)$(DOCDIR)/README.md $(addprefix $(D)$(MAN8DIR)/,$(MAN8))
	rm -f $(addprefix $(D)$(UNITDIR)/,$(UNITS))
	rm -f $(D)$(SYSUSERSDIR)/booking.conf $(D)$(TMPFILESDIR)/booking.conf
	rmdir $(D)$(SHARE)/sql/functions $(D)$(SHARE)/sql $(D)$(SHARE)/examples $(D)$(SHARE)/www $(D)$(SHARE) $(D)$(DOCDIR) 2>/dev/null || true

# ---- make deb --------------------------------------------------------
# The same install tree, PREFIX=/usr, staged under build/deb/root and
# built with Debian's hardening flags (-Wl,--as-needed: Depends only on
# the libraries each binary uses), then scripts/pkg-deb.sh adds the
# control data and runs lintian.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := build/booking_$(VERSION)_$(DEB_ARCH).deb
DEB_FLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get

deb:
	@scripts/deps.sh dpkg-dev lintian
	rm -rf build/deb
	$(MAKE) --no-print-directory install BUILD=build/deb/obj PREFIX=/usr \
	    SYSCONFDIR=/etc DESTDIR=$(CURDIR)/build/deb/root \
	    CFLAGS="$$($(DEB_FLAGS) CFLAGS) $$($(DEB_FLAGS) CPPFLAGS)" \
	    LDFLAGS="$$($(DEB_FLAGS) LDFLAGS) -Wl,--as-needed"
	scripts/pkg-deb.sh build/deb $(VERSION) $(DEB)

# ---- make test-install -----------------------------------------------
# Installs $(DEB) into an overlay of this machine's / under a systemd of
# its own (tests/install/run.sh); minutes long, root only.
test-install: deb
	tests/install/run.sh $(DEB)
