import { PageHeader } from "../ui";

export default function Playground() {
  return <PageHeader title="Playground" description="Coming with this issue." />;
}
