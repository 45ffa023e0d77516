from astegni_db.cli import main

main()
